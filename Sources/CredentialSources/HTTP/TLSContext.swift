import CLibeventOpenSSL
import IMDSCore

/// OpenSSL's client settings for one call: the system's CA store (OpenSSL's default paths,
/// which honour `SSL_CERT_FILE` and `SSL_CERT_DIR` like every OpenSSL program), plus an extra
/// CA file when one is given, the peer's certificate verified, TLS 1.2 at least.
///
/// Made for each call and freed after it: STS is called about once an hour, and the parsed
/// CA store would otherwise stay in memory between calls.
final class TLSContext {
    let openssl: imds_openssl
    let context: OpaquePointer

    init(caFile: String?) throws(CredentialSourceError) {
        let openssl = try OpenSSLLibrary.load()
        self.openssl = openssl
        openssl.ERR_clear_error()
        guard let context = openssl.SSL_CTX_new(openssl.TLS_client_method()) else {
            throw CredentialSourceError("cannot set up TLS (\(TLSFailure.queuedReason(openssl) ?? "SSL_CTX_new failed"))")
        }
        self.context = context
        guard openssl.SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw CredentialSourceError("cannot read the system's CA certificates (\(TLSFailure.queuedReason(openssl) ?? "unknown reason"))")
        }
        if let caFile, openssl.SSL_CTX_load_verify_locations(context, caFile, nil) != 1 {
            throw CredentialSourceError("cannot read the CA file \(caFile) (\(TLSFailure.queuedReason(openssl) ?? "unknown reason"))",
                                         isRetryable: false)
        }
        openssl.SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard imds_ssl_ctx_require_tls12(openssl, context) == 1 else {
            throw CredentialSourceError("cannot require TLS 1.2 (\(TLSFailure.queuedReason(openssl) ?? "unknown reason"))")
        }
    }

    deinit { openssl.SSL_CTX_free(context) }

    /// The TLS state of one connection to `target`: the certificate must be for its host
    /// (`SSL_set1_host` takes a DNS name or an IP address), and a host name is sent as SNI.
    /// The caller owns the result until a bufferevent takes it.
    func connection(to target: HTTPTarget) throws(CredentialSourceError) -> OpaquePointer {
        guard let ssl = openssl.SSL_new(context) else {
            throw CredentialSourceError("cannot set up TLS (\(TLSFailure.queuedReason(openssl) ?? "SSL_new failed"))")
        }
        guard openssl.SSL_set1_host(ssl, target.host) == 1,
              target.hostIsAddress || imds_ssl_set_server_name(openssl, ssl, target.host) == 1 else {
            openssl.SSL_free(ssl)
            throw CredentialSourceError("cannot check certificates for \(target.host) (\(TLSFailure.queuedReason(openssl) ?? "not a valid host name"))",
                                         isRetryable: false)
        }
        return ssl
    }
}
