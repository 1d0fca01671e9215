/// Where the core gets randomness (token nonces, keys, synthetic credentials). Injected so
/// tests can make generated values reproducible; production uses the system's CSPRNG.
public struct RandomSource: Sendable {
    private let fill: @Sendable (inout [UInt8]) -> Void

    public init(fill: @escaping @Sendable (inout [UInt8]) -> Void) {
        self.fill = fill
    }

    public func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        fill(&out)
        return out
    }

    /// A cryptographically secure generator (BoringSSL's, seeded by the kernel), read in 4 KiB blocks.
    public static let system: RandomSource = {
        let pool = RandomPool()
        return RandomSource { pool.fill(&$0) }
    }()

    /// A deterministic stream (SplitMix64) for tests.
    public static func seeded(_ seed: UInt64) -> RandomSource {
        let state = SeedState(seed)
        return RandomSource { buffer in
            for i in buffer.indices { buffer[i] = state.nextByte() }
        }
    }
}

private final class SeedState: @unchecked Sendable {
    private var state: UInt64
    private var word: UInt64 = 0
    private var left = 0

    init(_ seed: UInt64) { state = seed }

    func nextByte() -> UInt8 {
        if left == 0 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            word = z ^ (z >> 31)
            left = 8
        }
        let b = UInt8(truncatingIfNeeded: word)
        word >>= 8
        left -= 1
        return b
    }
}
