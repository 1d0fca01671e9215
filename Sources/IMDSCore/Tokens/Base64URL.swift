import Foundation

/// URL-safe base64 with padding, the alphabet of real IMDSv2 tokens.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var s = Data(bytes).base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return s
    }

    /// Only the URL-safe alphabet is accepted, so one token has exactly one spelling.
    static func decode(_ text: String) -> [UInt8]? {
        guard !text.utf8.contains(UInt8(ascii: "+")), !text.utf8.contains(UInt8(ascii: "/")) else { return nil }
        let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard let data = Data(base64Encoded: standard) else { return nil }
        return [UInt8](data)
    }
}
