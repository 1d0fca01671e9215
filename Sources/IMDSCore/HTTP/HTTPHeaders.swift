/// Header fields in arrival order, looked up without regard to case: SDKs send the IMDS
/// headers in lower case (botocore, JS, Java, CRT) or Go-canonical form, and both must match.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    /// Empty, with room for `capacity` fields: a response that knows how many it will add
    /// allocates once.
    public init(capacity: Int) {
        self.fields = []
        fields.reserveCapacity(capacity)
    }

    /// Empty again, keeping the room it had: a parser reused for the next connection does
    /// not allocate its header array again.
    public mutating func removeAll() {
        fields.removeAll(keepingCapacity: true)
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The first value of a field, or nil.
    public subscript(name: String) -> String? {
        for field in fields where field.name.utf8.count == name.utf8.count && equalsIgnoringCase(field.name, name) {
            return field.value
        }
        return nil
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

/// ASCII case folding over the raw bytes (header names are ASCII): every request looks up
/// a few headers, and walking `String.UTF8View` with iterators cost more than the compare.
private func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { a in
        b.withUTF8 { b in
            guard a.count == b.count else { return false }
            for i in 0..<a.count where a[i] != b[i] && lowercased(a[i]) != lowercased(b[i]) {
                return false
            }
            return true
        }
    }
}

private func lowercased(_ c: UInt8) -> UInt8 {
    c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c
}
