/// A request target reduced to what routing needs: the query string dropped and runs of `/`
/// collapsed (Amazon Linux's `ec2-metadata` sends `/latest//meta-data/…`, Java doubles the
/// slash after an endpoint that ends in one).
///
/// Works on bytes, not Characters, and a target with nothing to drop (nearly every one) is
/// kept as it is, without a copy: this runs for every request.
struct RequestPath {
    /// The API version segment, or nil for `/`.
    var version: Substring?
    /// What follows `/<version>/`, without its leading slash; may end in `/`.
    var rest: Substring
    /// The whole path with its runs of `/` collapsed, for fault prefixes.
    var collapsed: String

    init(target: String) {
        let collapsed = Self.collapse(target)
        self.collapsed = collapsed
        let utf8 = collapsed.utf8
        // After collapsing there is at most one leading slash.
        var start = utf8.startIndex
        if start < utf8.endIndex, utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        if start == utf8.endIndex {
            version = nil
            rest = ""
        } else if let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/")) {
            version = collapsed[start..<slash]
            rest = collapsed[utf8.index(after: slash)...]
        } else {
            version = collapsed[start...]
            rest = ""
        }
    }

    /// `target` up to its `?` or `#`, each run of `/` made one.
    private static func collapse(_ target: String) -> String {
        var text = target
        let collapsed: String? = text.withUTF8 { bytes in
            guard needsCollapsing(bytes) else { return nil }
            var kept: [UInt8] = []
            kept.reserveCapacity(bytes.count)
            var lastWasSlash = false
            for byte in bytes {
                if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
                if byte == UInt8(ascii: "/") {
                    if lastWasSlash { continue }
                    lastWasSlash = true
                } else {
                    lastWasSlash = false
                }
                kept.append(byte)
            }
            return String(decoding: kept, as: UTF8.self)
        }
        return collapsed ?? target
    }

    /// True when `target` has a query, a fragment or a doubled slash.
    private static func needsCollapsing(_ target: UnsafeBufferPointer<UInt8>) -> Bool {
        var lastWasSlash = false
        for byte in target {
            switch byte {
            case UInt8(ascii: "?"), UInt8(ascii: "#"):
                return true
            case UInt8(ascii: "/"):
                if lastWasSlash { return true }
                lastWasSlash = true
            default:
                lastWasSlash = false
            }
        }
        return false
    }
}
