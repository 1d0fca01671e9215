/// Secrets (token tags, the control API's bearer token, the container endpoint's token) are
/// compared here and only here: every byte of `expected` is looked at whatever the first
/// difference, and a `given` of the wrong length costs the same as a wrong byte, so the time
/// taken tells an attacker nothing about how much of a guess was right.
public enum ConstantTime {
    public static func equal(_ given: some Collection<UInt8>, _ expected: some Collection<UInt8>) -> Bool {
        var diff = given.count == expected.count ? 0 : 1
        var rest = given.makeIterator()
        for byte in expected {
            diff |= Int(byte ^ (rest.next() ?? ~byte))
        }
        return diff == 0
    }

    /// The same comparison eight bytes at a time, for the token cache's lookup on every
    /// request (the generic one walks a byte at a time through an iterator). A `given` of the
    /// wrong length is compared as `expected` against itself, then refused.
    public static func equal(_ given: UnsafeRawBufferPointer, _ expected: UnsafeRawBufferPointer) -> Bool {
        let sameLength = given.count == expected.count
        let other = sameLength ? given : expected
        var diff: UInt64 = 0
        var i = 0
        while i + 8 <= expected.count {
            diff |= other.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                ^ expected.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < expected.count {
            diff |= UInt64(other[i] ^ expected[i])
            i += 1
        }
        return sameLength && diff == 0
    }
}
