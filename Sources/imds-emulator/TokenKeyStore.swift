import Glibc
import IMDSCore

/// Keeps the IMDSv2 token key in `--state-dir` so that a restarted emulator, or a replica
/// sharing the directory, accepts tokens that clients still hold: aws-c-auth and Go v1 turn an
/// early 401 into a failed credential refresh. Whoever can write the key can mint tokens, so
/// the directory and the file must be this user's alone (SecureFile).
enum TokenKeyStore {
    static let fileName = "token-key"

    static func loadOrCreate(in directory: String, random: RandomSource) throws(ConfigurationError) -> [UInt8] {
        try SecureFile.privateDirectory(directory, key: "state-dir")
        let path = directory + "/" + fileName
        if let key = try read(path) { return key }
        // Linked into place rather than renamed: two processes starting together agree on
        // whichever key landed first.
        try SecureFile.install(random.bytes(TokenAuthority.keyLength), in: directory, name: fileName,
                               key: "state-dir", replace: false)
        guard let stored = try read(path) else { throw ConfigurationError(key: "state-dir", "cannot read back \(path)") }
        return stored
    }

    /// Stores a new key (after the control API revoked every token), replacing the old one
    /// atomically so a replica never reads half a key.
    static func replace(in directory: String, with key: [UInt8]) throws(ConfigurationError) {
        try SecureFile.install(key, in: directory, name: fileName, key: "state-dir")
    }

    private static func read(_ path: String) throws(ConfigurationError) -> [UInt8]? {
        guard let key = try SecureFile.readSecret(path, key: "state-dir", limit: TokenAuthority.keyLength + 1) else {
            return nil
        }
        guard key.count == TokenAuthority.keyLength else {
            throw ConfigurationError(key: "state-dir", "\(path) holds \(key.count) bytes, expected \(TokenAuthority.keyLength); remove it to start with a new key")
        }
        return key
    }
}
