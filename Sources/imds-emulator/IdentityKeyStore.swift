import Foundation
import Glibc
import IMDSCore

/// Where the identity-document signing key comes from: the user's files (`--identity-key`,
/// `--identity-cert`), or `--state-dir` (made there at first start, so verifiers configured
/// with the certificate keep working across restarts), or a new key for this process only.
enum IdentityKeyStore {
    static let keyFile = "identity-key.pem"
    static let certificateFile = "identity-cert.pem"

    enum Loaded {
        /// A key in hand, and the file its certificate is in.
        case signer(IdentitySigner, certificatePath: String)
        /// No file to keep a key in: one is made when first needed, for this process only.
        case makeWhenNeeded(@Sendable () throws(IdentityKeyError) -> IdentitySigner)
    }

    static func load(_ c: Configuration, now: Timestamp) throws(ConfigurationError) -> Loaded {
        if let keyPath = c.identityKey, let certPath = c.identityCert {
            let keyPEM = try read(keyPath, key: "identity-key")
            let certPEM = try read(certPath, key: "identity-cert")
            do {
                return .signer(try IdentitySigner(keyPEM: keyPEM, certificatePEM: certPEM), certificatePath: certPath)
            } catch {
                let key = error.description.hasPrefix("the key") ? "identity-key" : "identity-cert"
                throw ConfigurationError(key: key, "\(error.description) (\(keyPath), \(certPath))")
            }
        }
        guard let dir = c.stateDirectory else {
            let region = c.service.instance.region
            return .makeWhenNeeded { () throws(IdentityKeyError) in try IdentitySigner.generate(now: now, region: region) }
        }
        let keyPath = dir + "/" + keyFile
        let certPath = dir + "/" + certificateFile
        let haveKey = FileManager.default.fileExists(atPath: keyPath)
        if haveKey != FileManager.default.fileExists(atPath: certPath) {
            // A start that died between the two writes: say so rather than guess.
            throw ConfigurationError(key: "state-dir", "holds \(haveKey ? keyFile : certificateFile) without \(haveKey ? certificateFile : keyFile); remove it to make a new pair")
        }
        if haveKey {
            let keyPEM = try read(keyPath, key: "state-dir")
            let certPEM = try read(certPath, key: "state-dir")
            do {
                return .signer(try IdentitySigner(keyPEM: keyPEM, certificatePEM: certPEM), certificatePath: certPath)
            } catch {
                throw ConfigurationError(key: "state-dir", "\(error.description) (\(keyPath), \(certPath))")
            }
        }
        if mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw ConfigurationError(key: "state-dir", "cannot create \(dir): \(String(cString: strerror(errno)))")
        }
        let signer = try generate(c, now: now)
        try write(certPath, signer.certificatePEM, mode: 0o644)
        try write(keyPath, signer.keyPEM, mode: 0o600)
        return .signer(signer, certificatePath: certPath)
    }

    private static func generate(_ c: Configuration, now: Timestamp) throws(ConfigurationError) -> IdentitySigner {
        do {
            return try IdentitySigner.generate(now: now, region: c.service.instance.region)
        } catch {
            throw ConfigurationError(key: "identity-key", error.description)
        }
    }

    private static func read(_ path: String, key: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
              let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: key, "cannot read \(path)")
        }
        return text
    }

    /// A new file only (never through a planted link or over an existing file).
    private static func write(_ path: String, _ text: String, mode: mode_t) throws(ConfigurationError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw ConfigurationError(key: "state-dir", "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw ConfigurationError(key: "state-dir", "cannot write \(path)")
        }
    }
}
