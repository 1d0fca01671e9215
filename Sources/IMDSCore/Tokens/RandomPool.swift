import Crypto
import Synchronization

/// A CSPRNG read in blocks: every token PUT needs a 7-byte nonce, and one getrandom(2) per
/// token was a system call on the request path that nginx's static answer does not make.
/// Bytes are handed out once and never reused; the lock makes the pool safe to share with
/// the credential worker.
final class RandomPool: Sendable {
    private static let blockSize = 4096

    private struct Block {
        var bytes = [UInt8](repeating: 0, count: RandomPool.blockSize)
        var next = RandomPool.blockSize
    }

    private let block = Mutex(Block())

    func fill(_ out: inout [UInt8]) {
        block.withLock { block in
            for i in out.indices {
                if block.next == block.bytes.count {
                    Self.refill(&block.bytes)
                    block.next = 0
                }
                out[i] = block.bytes[block.next]
                block.bytes[block.next] = 0
                block.next += 1
            }
        }
    }

    /// BoringSSL's generator (through swift-crypto), seeded from getrandom(2).
    private static func refill(_ bytes: inout [UInt8]) {
        let fresh = SymmetricKey(size: SymmetricKeySize(bitCount: bytes.count * 8))
        fresh.withUnsafeBytes { source in
            for i in bytes.indices { bytes[i] = source[i] }
        }
    }
}
