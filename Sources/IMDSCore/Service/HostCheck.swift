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

    /// Lower case, without `:port` and without the brackets of an IPv6 literal. Works on the
    /// raw bytes (names and addresses in Host are ASCII): it runs on every request.
    static func normalize(_ host: String) -> String {
        var host = host
        return host.withUTF8 { h in
            var start = 0
            var end = h.count
            if h.first == UInt8(ascii: "[") {
                if let close = h.firstIndex(of: UInt8(ascii: "]")) {
                    start = 1
                    end = close
                }
            } else if let colon = h.firstIndex(of: UInt8(ascii: ":")),
                      !h[(colon + 1)...].contains(UInt8(ascii: ":")) {
                end = colon
            }
            let part = UnsafeBufferPointer(rebasing: h[start..<end])
            return String(unsafeUninitializedCapacity: part.count) { out in
                for i in part.indices {
                    let c = part[i]
                    out[i] = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c
                }
                return part.count
            }
        }
    }
}
