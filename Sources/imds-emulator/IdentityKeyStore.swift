import FoundationEssentials
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
            let keyPEM = try readKey(keyPath, key: "identity-key")
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
        try SecureFile.privateDirectory(dir, key: "state-dir")
        let keyPath = dir + "/" + keyFile
        let certPath = dir + "/" + certificateFile
        let haveKey = FileManager.default.fileExists(atPath: keyPath)
        if haveKey != FileManager.default.fileExists(atPath: certPath) {
            // A start that died between the two writes: say so rather than guess.
            throw ConfigurationError(key: "state-dir", "holds \(haveKey ? keyFile : certificateFile) without \(haveKey ? certificateFile : keyFile); remove it to make a new pair")
        }
        if haveKey {
            let keyPEM = try readKey(keyPath, key: "state-dir")
            let certPEM = try read(certPath, key: "state-dir")
            do {
                return .signer(try IdentitySigner(keyPEM: keyPEM, certificatePEM: certPEM), certificatePath: certPath)
            } catch {
                throw ConfigurationError(key: "state-dir", "\(error.description) (\(keyPath), \(certPath))")
            }
        }
        let signer = try generate(c, now: now)
        try SecureFile.create(certPath, Array(signer.certificatePEM.utf8), key: "state-dir", mode: 0o644)
        try SecureFile.create(keyPath, Array(signer.keyPEM.utf8), key: "state-dir")
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

    /// The private key: this user's alone, as ssh requires of its keys.
    private static func readKey(_ path: String, key: String) throws(ConfigurationError) -> String {
        guard let bytes = try SecureFile.readSecret(path, key: key) else {
            throw ConfigurationError(key: key, "cannot read \(path): no such file")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
