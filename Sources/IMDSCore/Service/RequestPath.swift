/// A request target reduced to what routing needs: the query string dropped and runs of `/`
/// collapsed (Amazon Linux's `ec2-metadata` sends `/latest//meta-data/…`, Java doubles the
/// slash after an endpoint that ends in one).
struct RequestPath {
    /// The API version segment, or nil for `/`.
    var version: Substring?
    /// What follows `/<version>/`, without its leading slash; may end in `/`.
    var rest: Substring
    /// The whole path with its runs of `/` collapsed, for fault prefixes.
    var collapsed: String

    init(target: String) {
        // Bytes, not Characters: this runs for every request.
        var collapsedBytes: [UInt8] = []
        collapsedBytes.reserveCapacity(target.utf8.count)
        var lastWasSlash = false
        for byte in target.utf8 {
            if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
            if byte == UInt8(ascii: "/") {
                if lastWasSlash { continue }
                lastWasSlash = true
            } else {
                lastWasSlash = false
            }
            collapsedBytes.append(byte)
        }
        let collapsed = String(decoding: collapsedBytes, as: UTF8.self)
        self.collapsed = collapsed
        let trimmed = collapsed.drop(while: { $0 == "/" })
        if trimmed.isEmpty {
            version = nil
            rest = ""
        } else if let slash = trimmed.firstIndex(of: "/") {
            version = trimmed[..<slash]
            rest = trimmed[trimmed.index(after: slash)...]
        } else {
            version = trimmed
            rest = ""
        }
    }
}
