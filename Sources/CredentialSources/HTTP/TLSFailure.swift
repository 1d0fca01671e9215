import CLibeventOpenSSL

/// Why a TLS connection failed, in OpenSSL's words: the certificate check's own reason when
/// the peer's certificate was refused (naming a host-name mismatch as such), else the last
/// error the bufferevent collected from OpenSSL.
enum TLSFailure {
    static func reason(_ openssl: imds_openssl, ssl: OpaquePointer?, stream: OpaquePointer?, host: String) -> String? {
        if let ssl {
            let verify = Int32(truncatingIfNeeded: openssl.SSL_get_verify_result(ssl))
            if verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH {
                return "host name mismatch: the certificate is not for \(host)"
            }
            if verify != X509_V_OK {
                let why = openssl.X509_verify_cert_error_string(Int(verify)).map { String(cString: $0) } ?? "error \(verify)"
                return "certificate verify failed (\(why))"
            }
        }
        var last: UInt = 0
        if let stream {
            while case let code = openssl.bufferevent_get_openssl_error(stream), code != 0 { last = code }
        }
        return last == 0 ? queuedReason(openssl) : text(openssl, last)
    }

    /// The oldest error on this thread's OpenSSL queue, and the queue emptied.
    static func queuedReason(_ openssl: imds_openssl) -> String? {
        let code = openssl.ERR_get_error()
        openssl.ERR_clear_error()
        return code == 0 ? nil : text(openssl, code)
    }

    private static func text(_ openssl: imds_openssl, _ code: UInt) -> String {
        openssl.ERR_reason_error_string(code).map { String(cString: $0) } ?? "OpenSSL error \(code)"
    }
}
