/// Something that happens to the emulated instance and shows in its metadata the way EC2 shows
/// it: a Spot interruption notice, a rebalance recommendation, scheduled maintenance, or an Auto
/// Scaling target lifecycle state. It appears at `effective` (now, a given time, or after a
/// delay) and, like a fault rule, can be limited to clients with one address or a User-Agent,
/// so that one test's handler sees it while another client does not.
public struct InstanceEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `spot/instance-action` from `effective`; the action itself is due at `actionTime`
        /// (EC2 gives two minutes' notice). With `stopAnswering` the emulator goes silent once
        /// a terminate or stop is due, as the instance would.
        case spotInterruption(action: SpotAction, actionTime: Timestamp, stopAnswering: Bool)
        /// `events/recommendations/rebalance`, with `effective` as its notice time.
        case rebalanceRecommendation
        case maintenance(Maintenance)
        /// `autoscaling/target-lifecycle-state` from `effective` on.
        case autoScaling(targetState: String)
    }

    public enum SpotAction: String, Sendable, CaseIterable {
        case terminate, stop, hibernate
    }

    /// One entry of `events/maintenance/scheduled`, then of `.../history` once completed or
    /// canceled. An active event completes by itself when `notAfter` has passed.
    public struct Maintenance: Sendable, Equatable {
        public enum State: String, Sendable, CaseIterable {
            case active, completed, canceled
        }

        public static let codes = ["instance-reboot", "system-reboot", "system-maintenance", "instance-retirement",
                                   "instance-stop"]

        public var code: String
        public var description: String
        public var eventId: String
        public var notBefore: Timestamp
        public var notAfter: Timestamp
        public var notBeforeDeadline: Timestamp?
        public var state: State

        public func state(at now: Timestamp) -> State {
            state == .active && now >= notAfter ? .completed : state
        }

        /// EC2's member order and its `21 Jan 2019 09:00:43 GMT` dates.
        func json(at now: Timestamp) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("NotBefore", .string(notBefore.maintenanceDate)),
                ("Code", .string(code)),
                ("Description", .string(description)),
                ("EventId", .string(eventId)),
                ("NotAfter", .string(notAfter.maintenanceDate)),
                ("State", .string(state(at: now).rawValue)),
            ]
            if let deadline = notBeforeDeadline {
                members.insert(("NotBeforeDeadline", .string(deadline.maintenanceDate)), at: 1)
            }
            return .object(members)
        }
    }

    /// The Auto Scaling states EC2 writes to `autoscaling/target-lifecycle-state`.
    public static let autoScalingStates = ["InService", "Terminated", "Warmed:Stopped", "Warmed:Running",
                                           "Warmed:Hibernated", "Warmed:Terminated"]

    public var id: String
    public var kind: Kind
    public var effective: Timestamp
    public var client: String?
    public var userAgent: String?

    public init(id: String, kind: Kind, effective: Timestamp, client: String? = nil, userAgent: String? = nil) {
        self.id = id
        self.kind = kind
        self.effective = effective
        self.client = client
        self.userAgent = userAgent
    }

    /// In effect, and shown to this client.
    func isVisible(to request: Request, at now: Timestamp) -> Bool {
        guard now >= effective else { return false }
        if let client, client != request.clientAddress { return false }
        if let userAgent, !(request.headers["User-Agent"] ?? "").contains(userAgent) { return false }
        return true
    }

    /// The name the control API and the configuration file use for the kind.
    public var typeName: String {
        switch kind {
        case .spotInterruption: return "spot-interruption"
        case .rebalanceRecommendation: return "rebalance-recommendation"
        case .maintenance: return "maintenance"
        case .autoScaling: return "autoscaling"
        }
    }
}

extension Timestamp {
    /// `21 Jan 2019 09:00:43 GMT`: how EC2 dates scheduled maintenance events.
    var maintenanceDate: String {
        let http = rfc1123  // `Mon, 21 Jan 2019 09:00:43 GMT`
        let dropped = http.dropFirst(5)
        return dropped.hasPrefix("0") ? String(dropped.dropFirst()) : String(dropped)
    }
}
