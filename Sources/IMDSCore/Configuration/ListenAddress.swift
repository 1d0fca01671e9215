/// `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:9254`). Port 0 asks the system for a free
/// port, which tests use; the address actually bound is reported when listening starts.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// True for addresses only this host can reach: 127.0.0.0/8, ::1 and `localhost`.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1"
            || (host.hasPrefix("127.") && host.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) })
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:%_".contains($0)) }),
              !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), portText.count <= 5,
              let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var isIPv6: Bool { host.contains(":") }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL an SDK is given, with the trailing `/` that awscli ≤ 2.9 needs. A wildcard
    /// address is reached through loopback.
    public var endpointURL: String {
        let reachable: String
        switch host {
        case "0.0.0.0": reachable = "127.0.0.1"
        case "::": reachable = "::1"
        default: reachable = host
        }
        return reachable.contains(":") ? "http://[\(reachable)]:\(port)/" : "http://\(reachable):\(port)/"
    }
}
