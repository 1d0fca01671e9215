/// DNS-rebinding protection: a web page that makes a browser resolve its own name to the
/// emulator's address still sends its own name as `Host`, so only the names the emulator
/// answers for are let through. Requests without `Host` (HTTP/1.0) and aws-c-auth's port-less
/// `Host` pass.
public struct HostCheck: Sendable, Equatable {
    public var enabled: Bool
    public private(set) var allowed: Set<String>

    /// The addresses SDKs use for IMDS.
    public static let imdsAddresses = ["localhost", "169.254.169.254", "fd00:ec2::254"]
    /// The fixed ECS and EKS Pod Identity addresses, accepted on the container endpoint only.
    public static let containerAddresses = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"]

    public init(enabled: Bool, hosts: [String]) {
        self.enabled = enabled
        self.allowed = Set((Self.imdsAddresses + hosts).map { Self.normalize($0) })
    }

    /// The same check with more names allowed.
    public func allowing(_ hosts: [String]) -> HostCheck {
        var copy = self
        copy.allowed.formUnion(hosts.map { Self.normalize($0) })
        return copy
    }

    public func admits(_ request: Request) -> Bool {
        guard enabled, let host = request.headers["Host"] else { return true }
        return allowed.contains(Self.normalize(host))
    }

    /// Lower case, without `:port` and without the brackets of an IPv6 literal. Works on bytes
    /// (names and addresses in Host are ASCII): it runs on every request.
    static func normalize(_ host: String) -> String {
        let h = host.utf8
        var start = h.startIndex
        var end = h.endIndex
        if h.first == UInt8(ascii: "[") {
            if let close = h.firstIndex(of: UInt8(ascii: "]")) {
                start = h.index(after: start)
                end = close
            }
        } else if let colon = h.firstIndex(of: UInt8(ascii: ":")),
                  !h[h.index(after: colon)...].contains(UInt8(ascii: ":")) {
            end = colon
        }
        let part = h[start..<end]
        let isUpper = { (b: UInt8) in b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") }
        guard part.contains(where: isUpper) else { return String(Substring(part)) }
        return String(decoding: part.map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
