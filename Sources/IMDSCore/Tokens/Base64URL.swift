import FoundationEssentials

/// URL-safe base64 with padding, the alphabet of real IMDSv2 tokens, written by hand over
/// bytes: every IMDS request decodes a token and every token PUT encodes one, and going
/// through Foundation's `Data` (plus swapping the alphabet) cost a tenth of a request.
///
/// Decoding accepts exactly what `Data(base64Encoded:)` accepted after the alphabet swap: a
/// length that is a multiple of four, at most two `=` at the end and only there, no `+` or
/// `/` and no white space. As there, the unused low bits of the last character are not
/// looked at.
enum Base64URL {
    /// The encoded form of `bytes`, padded with `=` to a multiple of four characters.
    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let length = (bytes.count + 2) / 3 * 4
        // Written on the stack, then copied once into the String: `String(decoding:)` checks
        // ASCII eight bytes at a time, where `String(unsafeUninitializedCapacity:)` validated
        // byte by byte at three times the cost.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { out in
            alphabet.withUTF8Buffer { alphabet in
                var o = 0
                var i = 0
                while i < bytes.count {
                    let left = bytes.count - i
                    let b0 = UInt32(bytes[i])
                    let b1 = left > 1 ? UInt32(bytes[i + 1]) : 0
                    let b2 = left > 2 ? UInt32(bytes[i + 2]) : 0
                    let group = b0 << 16 | b1 << 8 | b2
                    out[o] = alphabet[Int(group >> 18 & 63)]
                    out[o + 1] = alphabet[Int(group >> 12 & 63)]
                    out[o + 2] = left > 1 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "=")
                    out[o + 3] = left > 2 ? alphabet[Int(group & 63)] : UInt8(ascii: "=")
                    o += 4
                    i += 3
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    /// Decodes `utf8` into `out`; false, with `out` in an unspecified state, unless `utf8` is
    /// valid and decodes to exactly `out.count` bytes. A fixed-size caller (a token) needs no
    /// allocation.
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard decodedCount(utf8) == out.count else { return false }
        let padding = utf8.count / 4 * 3 - out.count
        var bits: UInt32 = 0
        var bitCount = 0
        var o = 0
        for i in 0..<(utf8.count - padding) {
            guard let value = sextet(utf8[i]) else { return false }
            bits = bits << 6 | value
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                out[o] = UInt8(truncatingIfNeeded: bits >> UInt32(bitCount))
                o += 1
            }
        }
        return true
    }

    /// The bytes `text` stands for, or nil when it is not padded URL-safe base64.
    static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { utf8 in
            guard let count = decodedCount(utf8) else { return nil }
            var ok = false
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                out.initialize(repeating: 0)
                initialized = count
                ok = decode(utf8, into: UnsafeMutableRawBufferPointer(out))
            }
            return ok ? bytes : nil
        }
    }

    /// How many bytes a padded encoding of this length stands for, judging by its length and
    /// its trailing `=` only; nil when the length is not a multiple of four.
    private static func decodedCount(_ utf8: UnsafeBufferPointer<UInt8>) -> Int? {
        guard utf8.count % 4 == 0 else { return nil }
        var padding = 0
        if utf8.last == UInt8(ascii: "=") {
            padding = utf8[utf8.count - 2] == UInt8(ascii: "=") ? 2 : 1
        }
        return utf8.count / 4 * 3 - padding
    }

    /// The six bits a character of the URL-safe alphabet stands for; nil for any other byte.
    private static func sextet(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(c - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
