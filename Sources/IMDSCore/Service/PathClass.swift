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
        let key = path.rest.hasSuffix("/") ? path.rest.dropLast() : path.rest
        for directory in Self.credentialDirectories where key.hasPrefix(directory) {
            let after = key.dropFirst(directory.count)
            if after.isEmpty {
                self = .roleList
                return
            }
            if after.hasPrefix("/") {
                self = .credentials
                return
            }
        }
        self = .metadata
    }
}
