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
}
