import FoundationEssentials

/// The control API (docs/control-api.md): authenticated JSON routes that rotate, expire,
/// fault, shift and inspect the running emulator. It answers through a callback because a
/// rotation with an STS source finishes only when STS has answered.
public final class ControlAPI: @unchecked Sendable {
    private let token: [UInt8]
    private let service: IMDSService
    private unowned let control: any EmulatorControl
    /// A page in a browser must not reach the API (not even `/healthz`) by rebinding its name.
    private let hostCheck: HostCheck

    public init(token: String, service: IMDSService, control: any EmulatorControl,
                hostCheck: HostCheck = HostCheck(enabled: false, hosts: [])) {
        self.token = Array(token.utf8)
        self.service = service
        self.control = control
        self.hostCheck = hostCheck
    }

    public func handle(_ request: Request, reply: @escaping (Response) -> Void) {
        guard hostCheck.admits(request) else {
            return reply(Self.error(403, "Host \(request.headers["Host"] ?? "") is not one this listener answers for"))
        }
        let (path, query) = Self.split(request.target)
        if path == "/healthz" {
            guard request.method == .get || request.method == .head else { return reply(Self.error(405, "use GET")) }
            return reply(health())
        }
        guard authorized(request) else {
            return reply(Self.error(401, "missing or wrong bearer token"))
        }
        do {
            try route(request, path: path, query: query, reply: reply)
        } catch {
            reply(Self.error(error.status, error.message))
        }
    }

    private func authorized(_ request: Request) -> Bool {
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else { return false }
        return ConstantTime.equal(header.utf8.dropFirst("Bearer ".utf8.count), token)
    }

    private func route(_ request: Request, path: String, query: [String: String],
                       reply: @escaping (Response) -> Void) throws(ControlAPIError) {
        guard let target = Route(path) else {
            throw ControlAPIError.notFound("no route \(path); see docs/control-api.md")
        }
        switch (request.method, target) {
        case (.get, .metrics):
            reply(Response(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4")]),
                           body: control.metricsText()))
        case (.get, .state):
            reply(Self.json(state()))
        case (.post, .rotate(let role)):
            try requireRole(role)
            _ = try body(request, allowed: [])
            control.rotateNow { result in
                switch result {
                case .success(let set): reply(Self.json(.object(Self.setMembers(role, set))))
                case .failure(let error): reply(Self.error(502, error.withDetail))
                }
            }
        case (.post, .expire(let role)):
            try requireRole(role)
            let b = try body(request, allowed: ["serve_expired"])
            let serveExpired = try ControlAPIFields.bool(b["serve_expired"], "serve_expired") ?? false
            guard let set = service.expireCurrent(serveExpired: serveExpired) else {
                throw ControlAPIError(status: 409, message: "no credentials have been published yet")
            }
            reply(Self.json(.object(Self.setMembers(role, set) + [("serve_expired", .bool(serveExpired))])))
        case (.put, .faults):
            let b = try body(request, allowed: ["faults"])
            guard case .array(let items)? = b["faults"] else { throw ControlAPIError.badRequest("faults must be an array of rules") }
            var rules: [FaultRule] = []
            for (i, item) in items.enumerated() { rules.append(try FaultRule(json: item, index: i)) }
            service.faults = FaultSet(rules)
            reply(Self.json(.object([("faults", .array(rules.map(\.json)))])))
        case (.delete, .faults):
            service.faults = FaultSet()
            reply(Self.json(.object([("faults", .array([]))])))
        case (.put, .clock):
            let b = try body(request, allowed: ["offset_seconds"])
            let offset: Double
            switch b["offset_seconds"] {
            case .int(let n)?: offset = Double(n)
            case .double(let d)?: offset = d
            default: throw ControlAPIError.badRequest("offset_seconds must be a number")
            }
            guard abs(offset) <= 315_360_000 else { throw ControlAPIError.badRequest("offset_seconds must be within ±315360000 (ten years)") }
            control.setClockOffset(Seconds(offset))
            reply(Self.json(.object([("offset_seconds", .double(offset)), ("now", .string(service.clock.now().iso8601))])))
        case (.put, .settings):
            try updateSettings(try body(request, allowed: ["imdsv1", "hop_limit", "throttle_rps", "extended_api"]))
            reply(Self.json(settingsJSON()))
        case (.post, .revoke):
            _ = try body(request, allowed: [])
            service.revokeTokens(newKey: control.newTokenKey())
            reply(Self.json(.object([("revoked", .bool(true))])))
        case (.get, .journal):
            let sinceText = query["since"] ?? "0"
            guard let since = Int(sinceText), since >= 0 else { throw ControlAPIError.badRequest("since must be a non-negative integer") }
            let page = control.journal(since: since, limit: 1000)
            reply(Self.json(.object([("records", .array(page.records)), ("next", .int(page.next))])))
        case (.get, .events):
            let now = service.clock.now()
            reply(Self.json(.object([("now", .string(now.iso8601)),
                                     ("events", .array(service.events.events.map { $0.json(at: now) }))])))
        case (.post, .events):
            let spec = try body(request, allowed: InstanceEvent.specFields)
            let event: InstanceEvent
            do throws(EventSpecError) {
                event = try service.addEvent(spec: spec)
            } catch {
                throw ControlAPIError.badRequest("\(error.field) \(error.problem)")
            }
            let json = event.json(at: service.clock.now())
            control.noteEvent("created", json)
            reply(Self.json(json, status: 201))
        case (.delete, .events):
            _ = try body(request, allowed: [])
            let now = service.clock.now()
            for event in service.events.events { control.noteEvent("deleted", event.json(at: now)) }
            service.removeAllEvents()
            reply(Self.json(.object([("events", .array([]))])))
        case (.get, .event(let id)):
            guard let event = service.events.event(id) else { throw ControlAPIError.notFound("no event \(id)") }
            reply(Self.json(event.json(at: service.clock.now())))
        case (.patch, .event(let id)):
            let b = try body(request, allowed: ["state"])
            guard let existing = service.events.event(id) else { throw ControlAPIError.notFound("no event \(id)") }
            guard case .maintenance = existing.kind else {
                throw ControlAPIError(status: 409, message: "\(id) is a \(existing.typeName) event; only maintenance events change state")
            }
            guard case .string(let text)? = b["state"], let state = InstanceEvent.Maintenance.State(rawValue: text) else {
                throw ControlAPIError.badRequest("state must be \"active\", \"completed\" or \"canceled\"")
            }
            guard let event = service.setMaintenanceState(id, state) else { throw ControlAPIError.notFound("no event \(id)") }
            let json = event.json(at: service.clock.now())
            control.noteEvent("updated", json)
            reply(Self.json(json))
        case (.delete, .event(let id)):
            _ = try body(request, allowed: [])
            guard let event = service.removeEvent(id) else { throw ControlAPIError.notFound("no event \(id)") }
            let json = event.json(at: service.clock.now())
            control.noteEvent("deleted", json)
            reply(Self.json(json))
        case (.patch, .instance):
            guard case .object(let changes) = try body(request, allowed: Configuration.instanceKeys), !changes.isEmpty else {
                throw ControlAPIError.badRequest("give the instance facts to change, keyed as in the file's instance: section")
            }
            let next: InstanceMetadata
            do throws(ConfigurationError) {
                next = try service.settings.instance.applying(changes)
            } catch {
                throw ControlAPIError.badRequest(error.description)
            }
            let changed = service.updateInstance(next)
            control.noteInstanceChange(changed, via: "PATCH /v1/instance")
            reply(Self.json(.object([("changed", .array(changed.map { .string($0) })),
                                     ("identity_document", IdentityDocument.json(next, pendingTime: service.startTime))])))
        case (.post, .rotateIdentityCredentials):
            _ = try body(request, allowed: [])
            service.refreshIdentityCredentials(force: true)
            guard let set = service.identityCredentialSet else { throw ControlAPIError(status: 500, message: "no identity set") }
            reply(Self.json(.object(Self.setMembers("ec2-instance", set))))
        case (.get, .identityCertificate):
            guard let pem = service.identityCertificatePEM else {
                throw ControlAPIError.notFound("the identity document is not signed")
            }
            reply(Response(status: 200, headers: HTTPHeaders([("Content-Type", "application/x-pem-file")]), body: pem))
        case (.post, .reset):
            _ = try body(request, allowed: [])
            control.reset()
            reply(Self.json(state()))
        default:
            throw ControlAPIError(status: 405, message: "\(request.method.rawValue) is not allowed on \(path)")
        }
    }

    private enum Route {
        case metrics, state, rotate(String), expire(String), faults, clock, settings, revoke, journal, reset, events
        case event(String)
        case identityCertificate
        case instance
        case rotateIdentityCredentials

        init?(_ path: String) {
            let parts = path.split(separator: "/").map(String.init)
            switch parts.count {
            case 1 where parts[0] == "metrics": self = .metrics
            case 2 where parts[0] == "v1":
                switch parts[1] {
                case "state": self = .state
                case "faults": self = .faults
                case "clock": self = .clock
                case "settings": self = .settings
                case "journal": self = .journal
                case "reset": self = .reset
                case "events": self = .events
                case "instance": self = .instance
                default: return nil
                }
            case 3 where parts[0] == "v1" && parts[1] == "tokens" && parts[2] == "revoke": self = .revoke
            case 3 where parts[0] == "v1" && parts[1] == "events": self = .event(parts[2])
            case 3 where parts[0] == "v1" && parts[1] == "identity" && parts[2] == "certificate": self = .identityCertificate
            case 3 where parts[0] == "v1" && parts[1] == "identity-credentials" && parts[2] == "rotate":
                self = .rotateIdentityCredentials
            case 4 where parts[0] == "v1" && parts[1] == "roles" && parts[3] == "rotate": self = .rotate(parts[2])
            case 4 where parts[0] == "v1" && parts[1] == "roles" && parts[3] == "expire": self = .expire(parts[2])
            default: return nil
            }
        }
    }

    private func requireRole(_ role: String) throws(ControlAPIError) {
        guard role == service.settings.role else {
            throw ControlAPIError.notFound("no role \(role); this emulator serves \(service.settings.role)")
        }
    }

    private func updateSettings(_ b: JSONValue) throws(ControlAPIError) {
        var imdsv1: Bool?
        switch b["imdsv1"] {
        case nil: break
        case .string("enabled")?: imdsv1 = true
        case .string("disabled")?: imdsv1 = false
        default: throw ControlAPIError.badRequest("imdsv1 must be \"enabled\" or \"disabled\"")
        }
        let hop = try ControlAPIFields.int(b["hop_limit"], "hop_limit", 1...64)
        let rps = try ControlAPIFields.int(b["throttle_rps"], "throttle_rps", 0...100_000)
        let extended = try ControlAPIFields.bool(b["extended_api"], "extended_api")
        service.update { s in
            if let imdsv1 { s.imdsv1Enabled = imdsv1 }
            if let hop { s.hopLimit = hop }
            if let rps { s.throttleRPS = rps }
            if let extended { s.extendedAPI = extended }
        }
    }

    private func health() -> Response {
        if service.canServeCredentials {
            return Self.json(.object([("status", .string("ok"))]))
        }
        let reason: String
        if let set = service.credentials {
            reason = "credentials \(set.accessKeyId) expired at \(set.expiration.iso8601)" + (service.refreshError.map { "; last refresh failed: \($0)" } ?? "")
        } else {
            reason = "no credentials fetched yet" + (service.refreshError.map { "; last refresh failed: \($0)" } ?? "")
        }
        return Self.json(.object([("status", .string("unavailable")), ("reason", .string(reason))]), status: 503)
    }

    public func state() -> JSONValue {
        let now = service.clock.now()
        var role: [(String, JSONValue)] = [("name", .string(service.settings.role))]
        if let set = service.credentials {
            role += [("access_key_id", .string(set.accessKeyId)), ("last_updated", .string(set.lastUpdated.iso8601)),
                     ("expiration", .string(set.expiration.iso8601)), ("expired", .bool(set.isExpired(at: now)))]
        }
        role.append(("serve_expired", .bool(service.serveExpired)))
        var identity: [(String, JSONValue)] = [("name", .string("ec2-instance"))]
        if let set = service.identityCredentialSet {
            identity += [("access_key_id", .string(set.accessKeyId)), ("last_updated", .string(set.lastUpdated.iso8601)),
                         ("expiration", .string(set.expiration.iso8601))]
        }
        return .object([
            ("now", .string(now.iso8601)),
            ("clock_offset_seconds", .double(control.clockOffset.value)),
            ("roles", .array([.object(role)])),
            ("identity_credentials", .object(identity)),
            ("source", control.sourceState),
            ("settings", settingsJSON()),
            ("faults", .array(service.faults.rules.map(\.json))),
            ("events", .array(service.events.events.map { $0.json(at: now) })),
        ])
    }

    private func settingsJSON() -> JSONValue {
        let s = service.settings
        return .object([
            ("imdsv1", .string(s.imdsv1Enabled ? "enabled" : "disabled")), ("hop_limit", .int(s.hopLimit)),
            ("throttle_rps", .int(s.throttleRPS)), ("extended_api", .bool(s.extendedAPI)),
        ])
    }

    private static func setMembers(_ role: String, _ set: CredentialSet) -> [(String, JSONValue)] {
        [("role", .string(role)), ("access_key_id", .string(set.accessKeyId)),
         ("last_updated", .string(set.lastUpdated.iso8601)), ("expiration", .string(set.expiration.iso8601))]
    }

    /// The request's JSON object (an empty body is `{}`), refusing fields not in `allowed`.
    private func body(_ request: Request, allowed: [String]) throws(ControlAPIError) -> JSONValue {
        let text = String(decoding: request.body, as: UTF8.self).trimmingWhitespace()
        if text.isEmpty { return .object([]) }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw ControlAPIError.badRequest("invalid JSON body")
        }
        guard case .object(let members) = value else { throw ControlAPIError.badRequest("the body must be a JSON object") }
        for (key, _) in members where !allowed.contains(key) {
            throw ControlAPIError.badRequest("unknown field \"\(key)\"" + (allowed.isEmpty ? "; this route takes no fields" : "; valid: \(allowed.joined(separator: ", "))"))
        }
        return value
    }

    static func json(_ value: JSONValue, status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: value.compact + "\n")
    }

    static func error(_ status: HTTPStatus, _ message: String) -> Response {
        json(.object([("error", .string(message))]), status: status)
    }

    static func split(_ target: String) -> (String, [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            // `=`, `=x` and `x=` are all possible; an empty name is simply ignored.
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let name = kv.first, !name.isEmpty else { continue }
            query[name] = kv.count > 1 ? (PercentDecoding.decode(kv[1]) ?? kv[1]) : ""
        }
        return (String(target[..<q]), query)
    }
}
