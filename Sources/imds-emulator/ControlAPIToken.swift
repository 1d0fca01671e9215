import FoundationEssentials
import Glibc
import IMDSCore

/// The control API's bearer token: read from `--admin-token-file`, or made up and written
/// there (mode 0600), or, without the flag, into the state directory or a new private
/// directory under `$TMPDIR` whose name nobody can guess beforehand. Only its path is ever
/// logged; a token file anybody else could have written or can read is refused.
enum ControlAPIToken {
    struct Loaded {
        var token: String
        var path: String
        /// A directory this process made for the token, removed with it on exit.
        var temporaryDirectory: String?

        func removeTemporary() {
            guard let temporaryDirectory else { return }
            unlink(path)
            rmdir(temporaryDirectory)
        }
    }

    static let key = "admin-token-file"

    static func load(_ c: Configuration) throws(ConfigurationError) -> Loaded {
        let token = Hex.encode(RandomSource.system.bytes(32))
        let line = Array((token + "\n").utf8)
        if let path = c.adminTokenFile {
            if let bytes = try SecureFile.readSecret(path, key: key, limit: 4096) {
                let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
                guard text.count >= 16, !text.contains(where: \.isWhitespace) else {
                    throw ConfigurationError(key: key, "\(path) must hold one token of at least 16 characters without spaces")
                }
                return Loaded(token: text, path: path)
            }
            try SecureFile.create(path, line, key: key)
            return Loaded(token: token, path: path)
        }
        if let dir = c.stateDirectory {
            try SecureFile.privateDirectory(dir, key: "state-dir")
            try SecureFile.install(line, in: dir, name: "admin-token", key: "state-dir")
            return Loaded(token: token, path: dir + "/admin-token")
        }
        let dir = try SecureFile.temporaryDirectory(in: FileManager.default.temporaryDirectory.path, prefix: "imds-emulator-", key: key)
        try SecureFile.create(dir + "/admin.token", line, key: key)
        return Loaded(token: token, path: dir + "/admin.token", temporaryDirectory: dir)
    }
}
