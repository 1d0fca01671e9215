import Glibc
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

    /// The kernel's CSPRNG through getentropy(3) (getrandom(2)), 256 bytes a call, the most
    /// it gives at once. (swift-crypto's `SymmetricKey` fills itself eight bytes at a time
    /// through the standard library's generator: 512 system calls per block, which made the
    /// pool no cheaper than asking per token.)
    private static func refill(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            var filled = 0
            while filled < buffer.count {
                let n = min(256, buffer.count - filled)
                if getentropy(buffer.baseAddress.map { $0 + filled }, n) != 0 {
                    // Only before the kernel's pool is ready, or on a kernel without the
                    // call; the standard library's generator still gives secure bytes.
                    var generator = SystemRandomNumberGenerator()
                    for i in filled..<(filled + n) { buffer[i] = generator.next() }
                }
                filled += n
            }
        }
    }
}
