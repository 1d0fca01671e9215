/// The metadata hierarchy under one API version (`meta-data/…`, `dynamic/…`, `user-data`),
/// flattened into a dictionary so that a lookup is one hash of the path.
///
/// Directory listings are computed once, when the tree is built: entries sorted, sub-directories
/// ending in `/`, joined by `\n` with no trailing newline, as IMDS writes them.
public struct MetadataTree: Sendable {
    public enum Content: Sendable, Equatable {
        case text(String)
        case userData(String)
        /// `iam/security-credentials/ROLE`: the current credential document.
        case credentials(role: String)
        /// `iam/security-credentials-extended/ROLE`: the same plus `AccountId`.
        case extendedCredentials(role: String)
        /// `iam/info`, whose `LastUpdated` follows the credentials.
        case instanceProfileInfo
        /// `identity-credentials/ec2/security-credentials/ec2-instance`: the instance's own set.
        case identityCredentials
        /// `identity-credentials/ec2/info`, whose `LastUpdated` follows that set.
        case identityCredentialsInfo
        /// `dynamic/instance-identity/signature`, `pkcs7` or `rsa2048`, signed when first asked for.
        case identitySignature(IdentitySignatures.Part)
    }

    public enum Node: Sendable, Equatable {
        case directory(listing: String)
        case leaf(Content)
    }

    private var leaves: [String: Content] = [:]
    private var directories: [String: Set<String>] = ["": []]
    private var nodes: [String: Node] = [:]
    private var shownEntries: [String: [String]] = [:]

    public init() {}

    /// Adds a leaf at a path such as `meta-data/placement/region`, creating its directories.
    public mutating func insert(_ path: String, _ content: Content) {
        leaves[path] = content
        var child = path
        var parts = path.split(separator: "/").map(String.init)
        while !parts.isEmpty {
            let name = parts.removeLast()
            let parent = parts.joined(separator: "/")
            let entry = child == path ? name : name + "/"
            directories[parent, default: []].insert(entry)
            child = parent
        }
        nodes = [:]
    }

    /// Replaces a directory's listing with `entries` as they are (EC2 lists `public-keys/` as
    /// `0=name` while the key lives under `0/`).
    public mutating func relist(_ path: String, _ entries: [String]) {
        shownEntries[path] = entries
        nodes = [:]
    }

    /// Finishes the tree after the last insert; lookups before it find nothing.
    public mutating func seal() {
        var built: [String: Node] = [:]
        for (path, content) in leaves { built[path] = .leaf(content) }
        for (path, entries) in directories {
            // The version root lists its top-level parts without slashes, as EC2 does.
            let shown = shownEntries[path]
                ?? (path.isEmpty ? entries.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } : Array(entries))
            built[path] = .directory(listing: shown.sorted().joined(separator: "\n"))
        }
        nodes = built
    }

    public func node(at path: String) -> Node? { nodes[path] }

    /// The leaves whose content differs between `other` and this tree, including those only
    /// one of them has.
    public func changedPaths(from other: MetadataTree) -> [String] {
        Set(leaves.keys).union(other.leaves.keys).filter { leaves[$0] != other.leaves[$0] }.sorted()
    }
}
