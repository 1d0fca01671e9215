import Foundation
import Glibc
import IMDSCore

/// The container endpoint's expected `Authorization` value, kept in a file that an operator
/// (or the EKS agent's equivalent) may rewrite at any time: the file is read again whenever
/// its inode, size or modification time changes, and a vanished file keeps the last token.
final class ContainerAuthToken {
    private let path: String
    private var stamp: (ino: UInt, size: Int, mtime: Int, nsec: Int)?
    private var token: String

    init(path: String) throws(ConfigurationError) {
        self.path = path
        guard let first = Self.read(path) else {
            throw ConfigurationError(key: "container-auth-token-file", "cannot read a token from \(path)")
        }
        token = first
        stamp = Self.stamp(path)
    }

    var current: String {
        let now = Self.stamp(path)
        if let now, stamp.map({ $0 != now }) ?? true, let fresh = Self.read(path) {
            token = fresh
            stamp = now
        }
        return token
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else { return nil }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    private static func stamp(_ path: String) -> (ino: UInt, size: Int, mtime: Int, nsec: Int)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
    }
}
