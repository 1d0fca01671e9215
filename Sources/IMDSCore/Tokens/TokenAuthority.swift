import Crypto

/// Issues and checks IMDSv2 session tokens without remembering them.
///
/// A token is `version ‖ expiry ‖ nonce ‖ HMAC-SHA256(key, version ‖ expiry ‖ nonce)[0..<24]`,
/// 40 bytes, written in URL-safe base64: 56 characters ending in `==` and starting `AQAE`, the
/// shape of real tokens. A flood of token requests therefore costs no memory, and a second
/// process holding the same key (a restart with `--state-dir`, a replica) accepts live tokens.
public struct TokenAuthority: Sendable {
    public static let keyLength = 32
    public static let maximumTTL = 21600

    private static let prefix: [UInt8] = [0x01, 0x00, 0x04]
    private static let expiryLength = 6   // milliseconds since the epoch, big-endian
    private static let nonceLength = 7
    private static let tagLength = 24
    private static let tokenLength = prefix.count + expiryLength + nonceLength + tagLength

    /// The keyed state after the key is absorbed, copied for each token: a token check is on
    /// every request's path.
    private let keyed: HMAC<SHA256>

    public init(key: [UInt8]) {
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: key))
    }

    /// A new token valid for `ttl` whole seconds from `now`.
    public func issue(ttl: Int, now: Timestamp, random: RandomSource) -> String {
        let expiryMillis = UInt64(max(0, (now.secondsSinceEpoch + Double(ttl)) * 1000))
        // One buffer of the final size: this runs for every token PUT.
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.tokenLength)
        bytes.append(contentsOf: Self.prefix)
        for shift in stride(from: (Self.expiryLength - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: expiryMillis >> UInt64(shift)))
        }
        bytes.append(contentsOf: random.bytes(Self.nonceLength))
        var mac = keyed
        mac.update(data: bytes)
        mac.finalize().withUnsafeBytes { bytes.append(contentsOf: $0.prefix(Self.tagLength)) }
        return Base64URL.encode(bytes)
    }

    /// The outcome of presenting a token.
    public enum Verdict: Equatable, Sendable {
        case valid(secondsLeft: Int)
        case expired
        case invalid
    }

    public func check(_ token: String, now: Timestamp) -> Verdict {
        guard token.utf8.count == 56, let bytes = Base64URL.decode(token), bytes.count == Self.tokenLength,
              bytes.starts(with: Self.prefix) else { return .invalid }
        guard hasValidTag(bytes) else { return .invalid }
        var expiryMillis: UInt64 = 0
        for b in bytes[Self.prefix.count..<(Self.prefix.count + Self.expiryLength)] {
            expiryMillis = expiryMillis << 8 | UInt64(b)
        }
        let left = Double(expiryMillis) / 1000 - now.secondsSinceEpoch
        guard left > 0 else { return .expired }
        // No token lives longer than EC2 allows from now, whatever the clock said when it was
        // made: one minted while the control API had moved the clock years ahead is refused
        // once the clock is back.
        guard left <= Double(Self.maximumTTL) + 1 else { return .invalid }
        return .valid(secondsLeft: Int(left.rounded(.up)))
    }

    /// Compares in place and in constant time, without copying the token's parts.
    private func hasValidTag(_ token: [UInt8]) -> Bool {
        let signedEnd = Self.tokenLength - Self.tagLength
        var mac = keyed
        mac.update(data: token[0..<signedEnd])
        return mac.finalize().withUnsafeBytes { code in
            ConstantTime.equal(token[signedEnd...], code.prefix(Self.tagLength))
        }
    }
}
