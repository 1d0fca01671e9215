/// A request target reduced to what routing needs: the query string dropped and runs of `/`
/// collapsed (Amazon Linux's `ec2-metadata` sends `/latest//meta-data/…`, Java doubles the
/// slash after an endpoint that ends in one).
struct RequestPath {
    /// The API version segment, or nil for `/`.
    var version: Substring?
    /// What follows `/<version>/`, without its leading slash; may end in `/`.
    var rest: Substring
    /// True when the target was exactly `/<version>` with nothing after it.
    var bareVersion: Bool
    /// The whole path with its runs of `/` collapsed, for fault prefixes.
    var collapsed: String

    init(target: String) {
        var path = target
        if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<q]) }
        var collapsed = ""
        collapsed.reserveCapacity(path.utf8.count)
        var lastWasSlash = false
        for ch in path {
            if ch == "/" {
                if lastWasSlash { continue }
                lastWasSlash = true
            } else {
                lastWasSlash = false
            }
            collapsed.append(ch)
        }
        self.collapsed = collapsed
        let trimmed = collapsed.drop(while: { $0 == "/" })
        if trimmed.isEmpty {
            version = nil
            rest = ""
            bareVersion = false
        } else if let slash = trimmed.firstIndex(of: "/") {
            version = trimmed[..<slash]
            rest = trimmed[trimmed.index(after: slash)...]
            bareVersion = false
        } else {
            version = trimmed
            rest = ""
            bareVersion = true
        }
    }
}
