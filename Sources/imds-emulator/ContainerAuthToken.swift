import FoundationEssentials
import Glibc
import IMDSCore

/// The container endpoint's expected `Authorization` value, kept in a file that an operator
/// (or the EKS agent's equivalent) may rewrite at any time: the file is read again whenever
/// its inode, size or modification time changes. A file removed or emptied withdraws the
/// token: requests are refused until a new one is written.
final class ContainerAuthToken {
    private let path: String
    private var stamp: Stamp?
    private var token: String?

    private struct Stamp: Equatable {
        var ino: UInt, size: Int, mtime: Int, nsec: Int
    }

    init(path: String) throws(ConfigurationError) {
        self.path = path
        guard let first = Self.read(path) else {
            throw ConfigurationError(key: "container-auth-token-file", "cannot read a token from \(path)")
        }
        token = first
        stamp = Self.stamp(path)
    }

    var current: ContainerAuthorization {
        let now = Self.stamp(path)
        if now != stamp {
            stamp = now
            token = now == nil ? nil : Self.read(path)
        }
        return token.map(ContainerAuthorization.token) ?? .unavailable("the token file \(path) is missing or empty")
    }

    /// The file's text without surrounding white space (a token written on Windows ends in
    /// CRLF); nil when it cannot be read or holds nothing.
    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return nil }
        let token = text.trimmingWhitespace()
        return token.isEmpty ? nil : token
    }

    private static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Stamp(ino: UInt(info.st_ino), size: Int(info.st_size), mtime: Int(info.st_mtim.tv_sec), nsec: Int(info.st_mtim.tv_nsec))
    }
}
