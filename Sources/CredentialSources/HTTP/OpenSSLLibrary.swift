import CLibeventOpenSSL
import IMDSCore

/// libevent_openssl, libssl and libcrypto, loaded the first time an https endpoint is called
/// rather than at start (see CLibeventOpenSSL's header): only assume-role over https uses them.
enum OpenSSLLibrary {
    /// Their functions; a system without them gets an error that names the library, not a
    /// failed start of every emulator.
    static func load() throws(CredentialSourceError) -> imds_openssl {
        var error: UnsafePointer<CChar>?
        guard let functions = imds_openssl_load(&error) else {
            throw CredentialSourceError(error.map { String(cString: $0) } ?? "HTTPS could not be set up",
                                         isRetryable: false)
        }
        return functions.pointee
    }
}
