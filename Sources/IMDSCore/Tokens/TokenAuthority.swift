import Crypto

/// Issues and checks IMDSv2 session tokens without remembering them.
///
/// A token is `version ‖ expiry ‖ nonce ‖ HMAC-SHA256(key, version ‖ expiry ‖ nonce)[0..<24]`,
/// 40 bytes, written in URL-safe base64: 56 characters ending in `==` and starting `AQAE`, the
/// shape of real tokens. A flood of token requests therefore costs no memory, and a second
/// process holding the same key (a restart with `--state-dir`, a replica) accepts live tokens.
///
/// Both directions work in a 40-byte buffer on the stack: a token check is on every request's
/// path and an issue on every token PUT's.
public struct TokenAuthority: Sendable {
    public static let keyLength = 32
    public static let maximumTTL = 21600

    private static let prefix: [UInt8] = [0x01, 0x00, 0x04]
    private static let expiryLength = 6   // milliseconds since the epoch, big-endian
    private static let nonceLength = 7
    private static let tagLength = 24
    private static let signedLength = prefix.count + expiryLength + nonceLength
    private static let tokenLength = signedLength + tagLength
    static let encodedLength = (tokenLength + 2) / 3 * 4

    private let mac: PreparedHMAC
    private var verified = VerifiedTokens()

    public init(key: [UInt8]) {
        self.mac = PreparedHMAC(key: key)
    }

    /// A new token valid for `ttl` whole seconds from `now`.
    public func issue(ttl: Int, now: Timestamp, random: RandomSource) -> String {
        let expiryMillis = UInt64(max(0, (now.secondsSinceEpoch + Double(ttl)) * 1000))
        let nonce = random.bytes(Self.nonceLength)
        return withUnsafeTemporaryAllocation(byteCount: Self.tokenLength, alignment: 1) { token in
            var i = 0
            for byte in Self.prefix {
                token[i] = byte
                i += 1
            }
            for shift in stride(from: (Self.expiryLength - 1) * 8, through: 0, by: -8) {
                token[i] = UInt8(truncatingIfNeeded: expiryMillis >> UInt64(shift))
                i += 1
            }
            for byte in nonce {
                token[i] = byte
                i += 1
            }
            let signed = UnsafeRawBufferPointer(rebasing: token[..<Self.signedLength])
            mac.authenticationCode(for: signed).withUnsafeBytes { code in
                for byte in code.prefix(Self.tagLength) {
                    token[i] = byte
                    i += 1
                }
            }
            return Base64URL.encode(UnsafeRawBufferPointer(token))
        }
    }

    /// The outcome of presenting a token.
    public enum Verdict: Equatable, Sendable {
        case valid(secondsLeft: Int)
        case expired
        case invalid
    }

    public func check(_ token: String, now: Timestamp) -> Verdict {
        var text = token
        return Self.verdict(expiryMillis: text.withUTF8 { authenticExpiry($0) }, now: now)
    }

    /// `check`, remembering the tokens found authentic so that their next checks skip the
    /// HMAC (`VerifiedTokens`); the answer is the same.
    public mutating func checkRemembering(_ token: String, now: Timestamp) -> Verdict {
        var text = token
        let expiryMillis = text.withUTF8 { utf8 -> UInt64? in
            if let known = verified.expiry(of: utf8) { return known }
            guard let expiryMillis = authenticExpiry(utf8) else { return nil }
            verified.remember(utf8, expiry: expiryMillis)
            return expiryMillis
        }
        return Self.verdict(expiryMillis: expiryMillis, now: now)
    }

    private static func verdict(expiryMillis: UInt64?, now: Timestamp) -> Verdict {
        guard let expiryMillis else { return .invalid }
        let left = Double(expiryMillis) / 1000 - now.secondsSinceEpoch
        guard left > 0 else { return .expired }
        // No token lives longer than EC2 allows from now, whatever the clock said when it was
        // made: one minted while the control API had moved the clock years ahead is refused
        // once the clock is back.
        guard left <= Double(Self.maximumTTL) + 1 else { return .invalid }
        return .valid(secondsLeft: Int(left.rounded(.up)))
    }

    /// The expiry a token carries, when it is one of ours: well-formed, of this version, and
    /// with the tag this key gives it.
    private func authenticExpiry(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard utf8.count == Self.encodedLength else { return nil }
        return withUnsafeTemporaryAllocation(byteCount: Self.tokenLength, alignment: 1) { buffer -> UInt64? in
            guard Base64URL.decode(utf8, into: buffer) else { return nil }
            let bytes = UnsafeRawBufferPointer(buffer)
            guard bytes.starts(with: Self.prefix), hasValidTag(bytes) else { return nil }
            var expiryMillis: UInt64 = 0
            for b in bytes[Self.prefix.count..<(Self.prefix.count + Self.expiryLength)] {
                expiryMillis = expiryMillis << 8 | UInt64(b)
            }
            return expiryMillis
        }
    }

    /// Compares in place and in constant time, without copying the token's parts.
    private func hasValidTag(_ token: UnsafeRawBufferPointer) -> Bool {
        let code = mac.authenticationCode(for: UnsafeRawBufferPointer(rebasing: token[..<Self.signedLength]))
        return code.withUnsafeBytes { code in
            ConstantTime.equal(token[Self.signedLength...], code.prefix(Self.tagLength))
        }
    }
}
