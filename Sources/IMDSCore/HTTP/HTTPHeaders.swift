/// Header fields in arrival order, looked up without regard to case: SDKs send the IMDS
/// headers in lower case (botocore, JS, Java, CRT) or Go-canonical form, and both must match.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
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

private func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
    var ia = a.utf8.makeIterator()
    var ib = b.utf8.makeIterator()
    while let ca = ia.next() {
        guard let cb = ib.next() else { return false }
        if ca == cb { continue }
        let la = (ca >= 65 && ca <= 90) ? ca + 32 : ca
        let lb = (cb >= 65 && cb <= 90) ? cb + 32 : cb
        if la != lb { return false }
    }
    return ib.next() == nil
}
