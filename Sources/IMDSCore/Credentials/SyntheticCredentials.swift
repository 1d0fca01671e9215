/// Makes credentials that look like STS's to every parser that sees them: `ASIA` + 16
/// characters of upper-case base-32, 40-character secrets of `[A-Za-z0-9+/]`, and a session
/// token of about a thousand base64 characters starting like a regional STS token. They open
/// nothing on AWS; they exist so that an app can be run and tested with no account at all.
public struct SyntheticCredentials: Sendable {
    public var lifetime: Seconds
    private let random: RandomSource

    private static let base32 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let tokenPrefix = "IQoJb3JpZ2luX2Vj"
    private static let tokenLength = 1044

    public init(lifetime: Seconds, random: RandomSource) {
        self.lifetime = lifetime
        self.random = random
    }

    public func make(now: Timestamp) -> CredentialSet {
        let issued = now.wholeSeconds
        return CredentialSet(
            accessKeyId: "ASIA" + pick(16, from: Self.base32),
            secretAccessKey: pick(40, from: Self.secretAlphabet),
            sessionToken: Self.tokenPrefix + pick(Self.tokenLength - Self.tokenPrefix.count, from: Self.secretAlphabet),
            lastUpdated: issued,
            expiration: issued + lifetime
        )
    }

    private func pick(_ count: Int, from alphabet: [UInt8]) -> String {
        // Both alphabets have a power-of-two size, so masking keeps the choice uniform.
        let mask = UInt8(alphabet.count - 1)
        let bytes = random.bytes(count).map { alphabet[Int($0 & mask)] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
