import Foundation
import Glibc
import IMDSCore

/// The control API's bearer token: read from `--admin-token-file`, or made up and written
/// there (mode 0600), or, without the flag, into the state directory or a temporary file.
/// Only its path is ever logged.
enum AdminToken {
    struct Loaded {
        var token: String
        var path: String
        /// True when this process made a temporary file that it should remove on exit.
        var temporary: Bool
    }

    static func load(_ c: Configuration) throws(ConfigurationError) -> Loaded {
        let key = "admin-token-file"
        if let path = c.adminTokenFile, FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path),
                  let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw ConfigurationError(key: key, "cannot read \(path)")
            }
            guard text.count >= 16, !text.contains(where: \.isWhitespace) else {
                throw ConfigurationError(key: key, "\(path) must hold one token of at least 16 characters without spaces")
            }
            return Loaded(token: text, path: path, temporary: false)
        }
        let path = c.adminTokenFile ?? c.stateDirectory.map { $0 + "/admin-token" }
            ?? NSTemporaryDirectory() + "imds-emulator-admin-\(getpid()).token"
        let token = HexString.encode(RandomSource.system.bytes(32))
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfigurationError(key: key, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = token + "\n"
        let written = line.withCString { write(fd, $0, strlen($0)) }
        guard written == line.utf8.count else { throw ConfigurationError(key: key, "cannot write \(path)") }
        return Loaded(token: token, path: path, temporary: c.adminTokenFile == nil && c.stateDirectory == nil)
    }
}

/// Lower-case hex, for tokens people copy into a shell.
enum HexString {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
