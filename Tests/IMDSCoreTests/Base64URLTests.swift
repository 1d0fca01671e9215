import Foundation
import Testing
@testable import IMDSCore

/// The hand-written codec against Foundation's, which it replaced: the same output for every
/// input it accepted, and nil for every input it refused.
@Suite struct Base64URLTests {
    /// What the codec did before: Foundation's base64 with the alphabet swapped.
    private func foundationDecode(_ text: String) -> [UInt8]? {
        if text.contains("+") || text.contains("/") { return nil }
        let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }

    private func foundationEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    @Test func roundTripsEveryLengthAndByte() {
        let random = RandomSource.seeded(7)
        for length in 0...70 {
            let bytes = random.bytes(length)
            let text = Base64URL.encode(bytes)
            #expect(text == foundationEncode(bytes))
            #expect(Base64URL.decode(text) == bytes)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64URL.encode(all) == foundationEncode(all))
        #expect(Base64URL.decode(Base64URL.encode(all)) == all)
    }

    @Test func acceptsAndRefusesWhatFoundationDid() {
        let token = "AQAE" + String(repeating: "Ab-_", count: 12) + "xyz9Qw=="
        var inputs = ["", "=", "==", "===", "A", "AA", "AAA", "AAAA", "A===", "AA==", "AAA=",
                      "A=AA", "=AAA", "AB+/", "AB-_", "AB\n=", "AB =", " ABC", "ABC\u{e9}",
                      "AAAAAA==", "AAAAAAA=", "AAAAAAAA", "AAAAA===", token, "AQAE" + token.dropFirst(4)]
        // Every byte in every position of a token, including non-canonical last characters.
        let utf8 = Array(token.utf8)
        for position in [0, 20, 53, 54, 55] {
            for byte in UInt8(0)...UInt8(127) {
                var changed = utf8
                changed[position] = byte
                inputs.append(String(decoding: changed, as: UTF8.self))
            }
        }
        for input in inputs {
            #expect(Base64URL.decode(input) == foundationDecode(input), "\(input.debugDescription)")
        }
    }

    @Test func decodesIntoAFixedBufferOnlyAtExactlyItsSize() {
        let bytes = RandomSource.seeded(1).bytes(40)
        var text = Base64URL.encode(bytes)
        text.withUTF8 { utf8 in
            for size in [0, 39, 40, 41] {
                var out = [UInt8](repeating: 0, count: size)
                let ok = out.withUnsafeMutableBytes { Base64URL.decode(utf8, into: $0) }
                #expect(ok == (size == 40))
                if ok { #expect(out == bytes) }
            }
        }
    }

    /// `=` only as the last one or two characters. Foundation's decoder also took a few short
    /// or over-padded forms (`====` as one zero byte, `AA=A` as two); none is 56 characters
    /// long, the only length a token check decodes (see `tokenLengthInputsMatchFoundation`).
    @Test func paddingOnlyAtTheEnd() {
        for input in ["====", "AA=A", "AAAA====", "AQAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA===="] {
            #expect(Base64URL.decode(input) == nil, "\(input)")
        }
    }

    /// Every token check decodes exactly 56 characters into exactly 40 bytes: random inputs,
    /// heavy in `=` and in characters outside the alphabet, give a check the same 40 bytes, or
    /// none, as Foundation did. (Foundation read some of them, `…X=J`, as 41 bytes, which a
    /// check refused as well.)
    @Test func tokenLengthInputsMatchFoundation() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let odd = Array("==========+/ .\n\u{7f}".utf8)
        let random = RandomSource.seeded(5)
        for _ in 0..<20000 {
            let draws = random.bytes(56 * 2)
            var text = [UInt8]()
            for i in 0..<56 {
                // Mostly the alphabet; more odd characters towards the end, where padding goes.
                let oddChance = i >= 50 ? 96 : 4
                text.append(Int(draws[2 * i]) < oddChance ? odd[Int(draws[2 * i + 1]) % odd.count]
                                                         : alphabet[Int(draws[2 * i + 1]) % alphabet.count])
            }
            let input = String(decoding: text, as: UTF8.self)
            let before = foundationDecode(input).flatMap { $0.count == 40 ? $0 : nil }
            var out = [UInt8](repeating: 0, count: 40)
            var utf8 = input
            let ok = utf8.withUTF8 { utf8 in out.withUnsafeMutableBytes { Base64URL.decode(utf8, into: $0) } }
            #expect((ok ? out : nil) == before, "\(input)")
        }
    }
}
