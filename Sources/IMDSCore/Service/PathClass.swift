/// The kinds of request faults and metrics tell apart.
public enum PathClass: String, Sendable, CaseIterable {
    case token
    case roleList = "role-list"
    case credentials
    case metadata

    static let credentialDirectories = ["meta-data/iam/security-credentials", "meta-data/iam/security-credentials-extended"]

    init(_ path: RequestPath) {
        if path.version == "latest", path.rest == "api/token" || path.rest == "api/token/" {
            self = .token
            return
        }
        // Bytes, not Characters: this runs on every request.
        var key = path.rest.utf8[...]
        if key.last == UInt8(ascii: "/") { key = key.dropLast() }
        for directory in Self.credentialDirectories where key.starts(with: directory.utf8) {
            let after = key.dropFirst(directory.utf8.count)
            if after.isEmpty {
                self = .roleList
                return
            }
            if after.first == UInt8(ascii: "/") {
                self = .credentials
                return
            }
        }
        self = .metadata
    }
}
