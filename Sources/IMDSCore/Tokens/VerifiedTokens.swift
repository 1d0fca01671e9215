/// Tokens an authority has already found authentic, with the expiry each carries.
///
/// Every SDK keeps its token for hours and sends it with each request, so the same token is
/// checked again and again; its HMAC was a quarter of a credential request's instructions.
/// A token found here skips the decoding and the HMAC; its expiry is still compared with the
/// clock on every request, so a cached token expires exactly as an uncached one does.
///
/// Only authentic tokens are ever stored, so a flood of forged ones cannot displace them.
/// Each goes into one of 256 slots (a later token in the same slot replaces it and costs one
/// full check when it comes back), chosen by characters of its tag: HMAC output, which no
/// client can choose, so the slots fill as evenly as a keyed hash would fill them. A lookup
/// compares the whole token in constant time. The table belongs to one authority and goes
/// with it: a new key (`revokeTokens`) starts an empty one.
struct VerifiedTokens: Sendable {
    private static let tokenLength = TokenAuthority.encodedLength
    private static let slotCount = 256
    /// The token's characters, then its expiry in milliseconds.
    private static let slotSize = 64

    /// Allocated with the first token remembered; a server no client has used yet has none.
    private var table: [UInt8] = []

    /// The expiry of `token` in milliseconds since the epoch, when it was remembered.
    func expiry(of token: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard token.count == Self.tokenLength, !table.isEmpty else { return nil }
        let offset = Self.slot(of: token) * Self.slotSize
        return table.withUnsafeBytes { table -> UInt64? in
            let stored = UnsafeRawBufferPointer(rebasing: table[offset..<(offset + Self.tokenLength)])
            guard ConstantTime.equal(UnsafeRawBufferPointer(token), stored) else { return nil }
            return table.loadUnaligned(fromByteOffset: offset + Self.tokenLength, as: UInt64.self)
        }
    }

    /// Call only with a token found authentic.
    mutating func remember(_ token: UnsafeBufferPointer<UInt8>, expiry: UInt64) {
        guard token.count == Self.tokenLength else { return }
        if table.isEmpty { table = [UInt8](repeating: 0, count: Self.slotCount * Self.slotSize) }
        let offset = Self.slot(of: token) * Self.slotSize
        table.withUnsafeMutableBytes { table in
            UnsafeMutableRawBufferPointer(rebasing: table[offset..<(offset + Self.tokenLength)])
                .copyMemory(from: UnsafeRawBufferPointer(token))
            table.storeBytes(of: expiry, toByteOffset: offset + Self.tokenLength, as: UInt64.self)
        }
    }

    /// Characters 46 to 51 of a token encode 36 bits of its tag (characters 22 to 52 hold
    /// nothing else); a multiplicative hash folds them into a slot number.
    private static func slot(of token: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt32 = 0
        for i in 46..<52 { h = h &* 31 &+ UInt32(token[i]) }
        return Int((h &* 0x9E37_79B1) >> 24) & (slotCount - 1)
    }
}
