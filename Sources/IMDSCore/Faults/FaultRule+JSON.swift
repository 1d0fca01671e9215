extension FaultRule {
    static let fields = ["match", "status", "delay_ms", "action", "error_code", "count", "probability", "client", "user_agent"]

    /// Reads one rule of `PUT /v1/faults`, naming the field that is wrong.
    public init(json: JSONValue, index: Int) throws(ControlAPIError) {
        let at = "faults[\(index)]"
        guard case .object(let members) = json else { throw ControlAPIError.badRequest("\(at) must be an object") }
        for (key, _) in members where !Self.fields.contains(key) {
            throw ControlAPIError.badRequest("\(at): unknown field \"\(key)\"; valid: \(Self.fields.joined(separator: ", "))")
        }
        guard case .string(let m)? = json["match"] else {
            throw ControlAPIError.badRequest("\(at).match is required: token, role-list, credentials, metadata, any or a path prefix starting with /")
        }
        if m == "any" {
            match = .any
        } else if let c = PathClass(rawValue: m) {
            match = .pathClass(c)
        } else if m.hasPrefix("/") {
            var collapsed = ""
            for ch in m where !(ch == "/" && collapsed.hasSuffix("/")) { collapsed.append(ch) }
            match = .prefix(collapsed)
        } else {
            throw ControlAPIError.badRequest("\(at).match \"\(m)\" is not valid; valid: token, role-list, credentials, metadata, any or a path prefix starting with /")
        }

        let status = try ControlAPIFields.int(json["status"], "\(at).status", 100...599)
        let delay = try ControlAPIFields.int(json["delay_ms"], "\(at).delay_ms", 1...60000)
        var actions: [Action] = []
        if let status { actions.append(.status(status, delayMilliseconds: delay)) } else if let delay { actions.append(.delay(milliseconds: delay)) }
        switch json["action"] {
        case nil: break
        case .string("close")?: actions.append(.close)
        case .string("malformed")?: actions.append(.malformed)
        default: throw ControlAPIError.badRequest("\(at).action must be \"close\" or \"malformed\"")
        }
        switch json["error_code"] {
        case nil: break
        case .string(let code)? where !code.isEmpty && code.count <= 128: actions.append(.errorCode(code))
        default: throw ControlAPIError.badRequest("\(at).error_code must be a non-empty string")
        }
        guard actions.count == 1, let action = actions.first else {
            throw ControlAPIError.badRequest("\(at) needs exactly one action: status (with optional delay_ms), delay_ms, action or error_code")
        }
        self.action = action
        remaining = try ControlAPIFields.int(json["count"], "\(at).count", 1...1_000_000)
        switch json["probability"] {
        case nil: probability = nil
        case .double(let p)? where p > 0 && p <= 1: probability = p
        case .int(1)?: probability = 1
        default: throw ControlAPIError.badRequest("\(at).probability must be a number with 0 < p <= 1")
        }
        client = try ControlAPIFields.string(json["client"], "\(at).client")
        userAgent = try ControlAPIFields.string(json["user_agent"], "\(at).user_agent")
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        switch match {
        case .any: members.append(("match", .string("any")))
        case .pathClass(let c): members.append(("match", .string(c.rawValue)))
        case .prefix(let p): members.append(("match", .string(p)))
        }
        switch action {
        case .status(let s, let d):
            members.append(("status", .int(s)))
            if let d { members.append(("delay_ms", .int(d))) }
        case .delay(let ms): members.append(("delay_ms", .int(ms)))
        case .close: members.append(("action", .string("close")))
        case .malformed: members.append(("action", .string("malformed")))
        case .errorCode(let c): members.append(("error_code", .string(c)))
        }
        if let remaining { members.append(("remaining", .int(remaining))) }
        if let probability { members.append(("probability", .double(probability))) }
        if let client { members.append(("client", .string(client))) }
        if let userAgent { members.append(("user_agent", .string(userAgent))) }
        return .object(members)
    }


}
