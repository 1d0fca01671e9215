/// The kinds of request faults and metrics tell apart.
public enum PathClass: String, Sendable, CaseIterable {
    case token
    case roleList = "role-list"
    case credentials
    case metadata

    /// Compares raw bytes against static strings, with no String built or compared by
    /// Characters: this runs on every request.
    init(_ path: RequestPath) {
        var version = path.version ?? ""
        var rest = path.rest
        self = version.withUTF8 { version in
            rest.withUTF8 { rest in Self.classify(version: version, rest: rest) }
        }
    }

    private static func classify(version: UnsafeBufferPointer<UInt8>, rest: UnsafeBufferPointer<UInt8>) -> PathClass {
        if equal(version, "latest"), equal(rest, "api/token") || equal(rest, "api/token/") {
            return .token
        }
        var key = rest[...]
        if key.last == UInt8(ascii: "/") { key = key.dropLast() }
        return under(key, "meta-data/iam/security-credentials")
            ?? under(key, "meta-data/iam/security-credentials-extended")
            ?? .metadata
    }

    /// `.roleList` for the credential directory itself, `.credentials` for a path below it.
    private static func under(_ key: Slice<UnsafeBufferPointer<UInt8>>, _ directory: StaticString) -> PathClass? {
        directory.withUTF8Buffer { directory in
            guard key.count >= directory.count, key.prefix(directory.count).elementsEqual(directory) else {
                return nil
            }
            if key.count == directory.count { return .roleList }
            return key[key.startIndex + directory.count] == UInt8(ascii: "/") ? .credentials : nil
        }
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        text.withUTF8Buffer { bytes.elementsEqual($0) }
    }
}
