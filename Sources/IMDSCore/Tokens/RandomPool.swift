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
            var filled = 0
            while filled < out.count {
                if block.next == block.bytes.count {
                    Self.refill(&block.bytes)
                    block.next = 0
                }
                let n = min(out.count - filled, block.bytes.count - block.next)
                let from = block.next
                out.withUnsafeMutableBufferPointer { target in
                    block.bytes.withUnsafeMutableBufferPointer { source in
                        for k in 0..<n {
                            target[filled + k] = source[from + k]
                            source[from + k] = 0
                        }
                    }
                }
                block.next += n
                filled += n
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
