import Crypto
import IMDSCore

/// AWS Signature Version 4 for one request, as STS (and every Query API) checks it.
///
/// Written against the published algorithm and tested against signatures botocore computes
/// for the same requests; it signs exactly the headers it is given plus `host` and
/// `x-amz-date` (and `x-amz-security-token` for a session), like botocore's `SigV4Auth`.
public struct SigV4Signer: Sendable {
    public var keys: AWSKeys
    public var region: String
    public var service: String

    public init(keys: AWSKeys, region: String, service: String) {
        self.keys = keys
        self.region = region
        self.service = service
    }

    /// The headers to send: the given ones plus `X-Amz-Date`, `X-Amz-Security-Token` when the
    /// keys are a session, and `Authorization`.
    public func sign(method: String, host: String, path: String, query: [(String, String)] = [],
                     headers: [(String, String)], body: [UInt8], at time: Timestamp) -> [(String, String)] {
        let amzDate = Self.amzDate(time)
        let day = String(amzDate.prefix(8))
        var all = headers
        all.append(("Host", host))
        all.append(("X-Amz-Date", amzDate))
        if let token = keys.sessionToken { all.append(("X-Amz-Security-Token", token)) }

        var canonical: [(String, String)] = all.map { (name, value) in
            (name.lowercased(), value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
        }
        canonical.sort { $0.0 < $1.0 }
        let signedHeaders = canonical.map(\.0).joined(separator: ";")
        let canonicalRequest = [
            method,
            Self.canonicalPath(path),
            Self.canonicalQuery(query),
            canonical.map { "\($0.0):\($0.1)\n" }.joined(),
            signedHeaders,
            Self.hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope,
                            Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(keys.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        var out = headers.filter { $0.0.lowercased() != "host" }
        out.append(("X-Amz-Date", amzDate))
        if let token = keys.sessionToken { out.append(("X-Amz-Security-Token", token)) }
        out.append(("Authorization",
                    "AWS4-HMAC-SHA256 Credential=\(keys.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return out
    }

    /// `20261121T223000Z`
    static func amzDate(_ t: Timestamp) -> String {
        let iso = t.iso8601  // 2026-11-21T22:30:00Z
        return iso.filter { $0 != "-" && $0 != ":" }
    }

    static func canonicalPath(_ path: String) -> String {
        let p = path.isEmpty ? "/" : path
        return p.split(separator: "/", omittingEmptySubsequences: false).map { uriEncode(String($0)) }.joined(separator: "/")
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0), uriEncode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters, upper-case hex.
    public static func uriEncode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
        return out
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef")
        var s = ""
        for b in digest {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }
}
