import Crypto
import Testing
@testable import IMDSCore

@Suite struct PreparedHMACTests {
    /// The same codes as swift-crypto's `HMAC<SHA256>` for keys shorter than, as long as and
    /// longer than a block, and messages of any length.
    @Test func matchesSwiftCrypto() {
        let random = RandomSource.seeded(11)
        for keyLength in [0, 1, 32, 63, 64, 65, 200] {
            let key = random.bytes(keyLength)
            let prepared = PreparedHMAC(key: key)
            for messageLength in [0, 1, 16, 55, 56, 64, 65, 300] {
                let message = random.bytes(messageLength)
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
                let code = message.withUnsafeBytes { Array(prepared.authenticationCode(for: $0)) }
                #expect(code == expected, "key \(keyLength), message \(messageLength)")
            }
        }
    }

    /// A prepared key is used again and again: one message does not change the next one's code.
    @Test func preparedStateIsNotConsumed() {
        let prepared = PreparedHMAC(key: Array(repeating: 7, count: 32))
        let message: [UInt8] = [1, 2, 3]
        let first = message.withUnsafeBytes { Array(prepared.authenticationCode(for: $0)) }
        _ = [UInt8](repeating: 9, count: 100).withUnsafeBytes { prepared.authenticationCode(for: $0) }
        #expect(message.withUnsafeBytes { Array(prepared.authenticationCode(for: $0)) } == first)
    }
}
