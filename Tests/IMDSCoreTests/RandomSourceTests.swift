import Testing
@testable import IMDSCore

@Suite struct RandomSourceTests {
    @Test func systemBytesNeverRepeatAcrossBlocks() {
        // 10,000 bytes cross two 4 KiB refills; a refill that reused or zeroed a block would
        // show as a repeated or empty 64-byte window.
        let bytes = RandomSource.system.bytes(10_000)
        var windows = Set<[UInt8]>()
        for start in stride(from: 0, to: bytes.count - 64, by: 64) {
            let window = Array(bytes[start..<(start + 64)])
            #expect(window.contains { $0 != 0 })
            #expect(windows.insert(window).inserted)
        }
        #expect(RandomSource.system.bytes(7) != RandomSource.system.bytes(7))
    }
}
