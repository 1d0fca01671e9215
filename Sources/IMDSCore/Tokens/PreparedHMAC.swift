import Crypto

/// HMAC-SHA256 (RFC 2104) with the key absorbed once, for token checks on every request.
///
/// swift-crypto's `HMAC<SHA256>` takes its message only through the generic `DataProtocol`
/// path, which cannot be specialised across the module boundary and cost as much as the
/// hashing itself for a 16-byte message; `SHA256` takes raw bytes. The construction is the
/// standard one (tests check it against `HMAC<SHA256>`): the key padded to a block, and the
/// hash of `key ⊕ opad ‖ hash(key ⊕ ipad ‖ message)`.
struct PreparedHMAC: Sendable {
    private static let blockSize = 64

    /// The hash states after `key ⊕ ipad` and `key ⊕ opad`, copied for each message.
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        var block = key.count > Self.blockSize ? Array(SHA256.hash(data: key)) : key
        block += repeatElement(0, count: Self.blockSize - block.count)
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    func authenticationCode(for message: UnsafeRawBufferPointer) -> SHA256.Digest {
        var inner = self.inner
        inner.update(bufferPointer: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
