/// An event field that cannot be used, named as the caller spells it (`action_after_seconds`
/// in the control API, `events[0].action-after` in the configuration file).
public struct EventSpecError: Error, Equatable {
    public var field: String
    public var problem: String
}

extension InstanceEvent {
    /// The fields of an event, as the control API's JSON names them.
    public static let specFields = [
        "type", "at", "after_seconds", "client", "user_agent", "action", "action_after_seconds", "stop_answering",
        "code", "description", "event_id", "not_before", "not_after", "not_before_deadline", "state", "target_state",
    ]

    /// Reads one event: `POST /v1/events`, or an entry of the configuration's `events` (turned
    /// into the same JSON). Times are absolute (`at`, ISO 8601) or relative to `now`
    /// (`after_seconds`); without either the event is in effect at once. `name` turns a field
    /// into the caller's spelling for messages.
    public init(spec: JSONValue, id: String, now: Timestamp, instance: InstanceMetadata, randomHex: () -> String,
                name: (String) -> String = { $0 }) throws(EventSpecError) {
        func fail(_ field: String, _ problem: String) -> EventSpecError { EventSpecError(field: name(field), problem: problem) }
        guard case .object(let members) = spec else { throw EventSpecError(field: name("event"), problem: "must be an object") }
        for (key, _) in members where !Self.specFields.contains(key) {
            throw fail(key, "is not an event field; valid: \(Self.specFields.map(name).joined(separator: ", "))")
        }
        func string(_ field: String) throws(EventSpecError) -> String? {
            switch spec[field] {
            case nil: return nil
            case .string(let s)? where !s.isEmpty && s.count <= 1024: return s
            default: throw fail(field, "must be a non-empty string")
            }
        }
        func time(_ field: String) throws(EventSpecError) -> Timestamp? {
            guard let text = try string(field) else { return nil }
            guard let t = Timestamp(iso8601: text) else { throw fail(field, "\"\(text)\" is not a time; valid: YYYY-MM-DDTHH:MM:SSZ") }
            return t.wholeSeconds
        }
        func seconds(_ field: String, _ range: ClosedRange<Double>) throws(EventSpecError) -> Double? {
            let value: Double
            switch spec[field] {
            case nil: return nil
            case .int(let n)?: value = Double(n)
            case .double(let d)?: value = d
            default: throw fail(field, "must be a number of seconds")
            }
            guard range.contains(value) else {
                throw fail(field, "must be within \(Int(range.lowerBound))...\(Int(range.upperBound)) seconds")
            }
            return value
        }
        func oneOf(_ field: String, _ valid: [String], default fallback: String) throws(EventSpecError) -> String {
            let value = try string(field) ?? fallback
            guard valid.contains(value) else { throw fail(field, "\"\(value)\" is not valid; valid: \(valid.joined(separator: ", "))") }
            return value
        }
        func notFor(_ fields: [String], _ type: String) throws(EventSpecError) {
            for field in fields where spec[field] != nil {
                throw fail(field, "does not apply to a \(type) event")
            }
        }

        let at = try time("at")
        let after = try seconds("after_seconds", 0...315_360_000)
        if at != nil, after != nil { throw fail("after_seconds", "cannot be given with \(name("at")); give one of the two") }
        let effective = at ?? (now + Seconds(after ?? 0)).wholeSeconds
        let spotFields = ["action", "action_after_seconds", "stop_answering"]
        let maintenanceFields = ["code", "description", "event_id", "not_before", "not_after", "not_before_deadline", "state"]
        let type = try oneOf("type", ["spot-interruption", "rebalance-recommendation", "maintenance", "autoscaling"],
                             default: "")
        let kind: Kind
        switch type {
        case "spot-interruption", "rebalance-recommendation":
            guard instance.instanceLifeCycle == "spot" else {
                throw fail("type", "\(type) needs a Spot instance; set instance.instance-life-cycle: spot")
            }
            if type == "rebalance-recommendation" {
                try notFor(spotFields + maintenanceFields + ["target_state"], type)
                kind = .rebalanceRecommendation
                break
            }
            try notFor(maintenanceFields + ["target_state"], type)
            let action = SpotAction(rawValue: try oneOf("action", SpotAction.allCases.map(\.rawValue), default: "terminate"))
                ?? .terminate
            let notice = try seconds("action_after_seconds", 0...3600) ?? 120
            var stop = false
            switch spec["stop_answering"] {
            case nil: break
            case .bool(let b)?: stop = b
            default: throw fail("stop_answering", "must be true or false")
            }
            if stop, action == .hibernate { throw fail("stop_answering", "applies to terminate and stop, not hibernate") }
            kind = .spotInterruption(action: action, actionTime: (effective + Seconds(notice)).wholeSeconds, stopAnswering: stop)
        case "maintenance":
            try notFor(spotFields + ["target_state"], type)
            let code = try oneOf("code", Maintenance.codes, default: "system-reboot")
            let notBefore = try time("not_before") ?? (effective + .hours(24 * 7)).wholeSeconds
            let notAfter = try time("not_after") ?? (notBefore + .hours(2)).wholeSeconds
            guard notAfter > notBefore else { throw fail("not_after", "must be later than not_before") }
            let eventId = try string("event_id") ?? "instance-event-" + randomHex()
            guard Self.isEventId(eventId) else {
                throw fail("event_id", "\"\(eventId)\" is not an event id; valid: instance-event- followed by 17 hex digits")
            }
            let state = Maintenance.State(rawValue: try oneOf("state", Maintenance.State.allCases.map(\.rawValue), default: "active"))
                ?? .active
            kind = .maintenance(Maintenance(
                code: code, description: try string("description") ?? Self.defaultDescription(code), eventId: eventId,
                notBefore: notBefore, notAfter: notAfter, notBeforeDeadline: try time("not_before_deadline"), state: state))
        case "autoscaling":
            try notFor(spotFields + maintenanceFields, type)
            guard instance.autoScalingGroup != nil else {
                throw fail("type", "autoscaling needs an Auto Scaling instance; set instance.auto-scaling-group")
            }
            kind = .autoScaling(targetState: try oneOf("target_state", Self.autoScalingStates, default: "Terminated"))
        default:
            throw fail("type", "is required; valid: spot-interruption, rebalance-recommendation, maintenance, autoscaling")
        }
        self.init(id: id, kind: kind, effective: effective, client: try string("client"), userAgent: try string("user_agent"))
    }

    static func isEventId(_ s: String) -> Bool {
        let prefix = "instance-event-"
        guard s.hasPrefix(prefix) else { return false }
        let hex = s.dropFirst(prefix.count)
        return hex.count == 17 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func defaultDescription(_ code: String) -> String {
        switch code {
        case "instance-reboot": return "scheduled reboot"
        case "system-reboot": return "scheduled reboot"
        case "system-maintenance": return "scheduled maintenance"
        case "instance-retirement": return "The instance is running on degraded hardware"
        default: return "The instance is scheduled to stop"
        }
    }

    /// The event for `GET /v1/events` and the journal.
    public func json(at now: Timestamp) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(id)), ("type", .string(typeName)),
                                              ("effective", .string(effective.iso8601)), ("in_effect", .bool(now >= effective))]
        switch kind {
        case .spotInterruption(let action, let time, let stop):
            members += [("action", .string(action.rawValue)), ("action_time", .string(time.iso8601)),
                        ("stop_answering", .bool(stop))]
        case .rebalanceRecommendation:
            break
        case .maintenance(let m):
            members += [("code", .string(m.code)), ("description", .string(m.description)), ("event_id", .string(m.eventId)),
                        ("not_before", .string(m.notBefore.iso8601)), ("not_after", .string(m.notAfter.iso8601)),
                        ("state", .string(m.state(at: now).rawValue))]
            if let d = m.notBeforeDeadline { members.append(("not_before_deadline", .string(d.iso8601))) }
        case .autoScaling(let state):
            members.append(("target_state", .string(state)))
        }
        if let client { members.append(("client", .string(client))) }
        if let userAgent { members.append(("user_agent", .string(userAgent))) }
        return .object(members)
    }
}
