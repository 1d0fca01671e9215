/// One fault of the control API: which requests it hits and what it does to them.
public struct FaultRule: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        case any
        case pathClass(PathClass)
        /// Compared with the request path after runs of `/` are collapsed.
        case prefix(String)
    }

    public enum Action: Sendable, Equatable {
        /// Answer with this status and its error page, optionally after a delay.
        case status(Int, delayMilliseconds: Int?)
        /// The normal answer, late.
        case delay(milliseconds: Int)
        /// Close the connection without answering.
        case close
        /// The normal answer with its body cut in half.
        case malformed
        /// 200 with IMDS's error document carrying this `Code`.
        case errorCode(String)
    }

    public var match: Match
    public var action: Action
    /// Matching requests left before the rule is removed; nil for no limit.
    public var remaining: Int?
    public var probability: Double?
    public var client: String?
    public var userAgent: String?

    public init(match: Match, action: Action, remaining: Int? = nil, probability: Double? = nil,
                client: String? = nil, userAgent: String? = nil) {
        self.match = match
        self.action = action
        self.remaining = remaining
        self.probability = probability
        self.client = client
        self.userAgent = userAgent
    }

    func matches(_ request: Request, collapsedPath: String, pathClass: PathClass) -> Bool {
        switch match {
        case .any: break
        case .pathClass(let c): guard c == pathClass else { return false }
        case .prefix(let p): guard collapsedPath.hasPrefix(p) else { return false }
        }
        if let client, client != request.clientAddress { return false }
        if let userAgent, !(request.headers["User-Agent"] ?? "").contains(userAgent) { return false }
        return true
    }

    /// How the access log names the fault.
    public var label: String {
        switch action {
        case .status(let s, let d?): return "status \(s) after \(d)ms"
        case .status(let s, nil): return "status \(s)"
        case .delay(let ms): return "delay \(ms)ms"
        case .close: return "close"
        case .malformed: return "malformed"
        case .errorCode(let code): return "error_code \(code)"
        }
    }
}
