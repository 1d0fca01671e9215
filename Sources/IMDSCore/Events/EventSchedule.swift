/// The instance's events, and what they make the metadata say to one client at one moment.
public struct EventSchedule: Sendable {
    public private(set) var events: [InstanceEvent] = []
    private var nextNumber = 1

    public init() {}

    public var isEmpty: Bool { events.isEmpty }

    /// The id the next added event gets, `evt-1`, `evt-2`, …: stable names for the control API
    /// and the journal. A spec that fails to read uses none.
    public var nextId: String { "evt-\(nextNumber)" }

    public mutating func add(_ event: InstanceEvent) {
        events.append(event)
        nextNumber += 1
    }

    public func event(_ id: String) -> InstanceEvent? {
        events.first { $0.id == id }
    }

    /// Replaces the event with the same id; false when there is none.
    @discardableResult
    public mutating func replace(_ event: InstanceEvent) -> Bool {
        guard let i = events.firstIndex(where: { $0.id == event.id }) else { return false }
        events[i] = event
        return true
    }

    @discardableResult
    public mutating func remove(_ id: String) -> InstanceEvent? {
        guard let i = events.firstIndex(where: { $0.id == id }) else { return nil }
        return events.remove(at: i)
    }

    public mutating func removeAll() {
        events.removeAll()
    }

    /// What decides the view this client gets now: the ids of the events it is shown and,
    /// for maintenance, their state at this moment. Cheap, so each request computes it and
    /// renders the view only when no tree is kept for it.
    func visibility(for request: Request, at now: Timestamp) -> [String] {
        events.compactMap { event in
            guard event.isVisible(to: request, at: now) else { return nil }
            if case .maintenance(let m) = event.kind { return event.id + "/" + m.state(at: now).rawValue }
            return event.id
        }
    }

    /// The leaves the events own, as this client sees them now. Maintenance lists are always
    /// there (`[]` when empty, as on EC2); the Auto Scaling state only on an Auto Scaling
    /// instance, `InService` until an event changes it.
    func view(for request: Request?, at now: Timestamp, autoScaling: Bool) -> EventView {
        var leaves: [String: String] = [:]
        let visible = events.filter { event in
            request.map { event.isVisible(to: $0, at: now) } ?? (now >= event.effective)
        }
        var scheduled: [InstanceEvent.Maintenance] = []
        var history: [InstanceEvent.Maintenance] = []
        var spot: (InstanceEvent, InstanceEvent.SpotAction, Timestamp)?
        var rebalance: InstanceEvent?
        var target: (InstanceEvent, String)?
        for event in visible {
            switch event.kind {
            case .spotInterruption(let action, let time, _):
                if spot.map({ $0.0.effective <= event.effective }) ?? true { spot = (event, action, time) }
            case .rebalanceRecommendation:
                if rebalance.map({ $0.effective <= event.effective }) ?? true { rebalance = event }
            case .maintenance(let m):
                if m.state(at: now) == .active { scheduled.append(m) } else { history.append(m) }
            case .autoScaling(let state):
                if target.map({ $0.0.effective <= event.effective }) ?? true { target = (event, state) }
            }
        }
        let md = "meta-data/"
        if let (_, action, time) = spot {
            leaves[md + "spot/instance-action"] = "{\"action\": \"\(action.rawValue)\", \"time\": \"\(time.iso8601)\"}"
            if action == .terminate { leaves[md + "spot/termination-time"] = time.iso8601 }
        }
        if let rebalance {
            leaves[md + "events/recommendations/rebalance"] = "{\"noticeTime\": \"\(rebalance.effective.iso8601)\"}"
        }
        let byStart = { (a: InstanceEvent.Maintenance, b: InstanceEvent.Maintenance) in a.notBefore < b.notBefore }
        leaves[md + "events/maintenance/scheduled"] = JSONValue.array(scheduled.sorted(by: byStart).map { $0.json(at: now) }).imdsPretty
        leaves[md + "events/maintenance/history"] = JSONValue.array(history.sorted(by: byStart).map { $0.json(at: now) }).imdsPretty
        if autoScaling {
            leaves[md + "autoscaling/target-lifecycle-state"] = target?.1 ?? "InService"
        }
        return EventView(leaves: leaves)
    }

    /// Why the instance no longer answers: a Spot terminate or stop that asked for silence
    /// and is due. Address filters do not apply; the instance is gone for every client.
    func goneReason(at now: Timestamp) -> String? {
        for event in events {
            guard case .spotInterruption(let action, let time, true) = event.kind, action != .hibernate,
                  now >= event.effective, now >= time else { continue }
            return "instance gone: spot \(action.rawValue) at \(time.iso8601) (\(event.id))"
        }
        return nil
    }
}

/// The event leaves one client sees at one moment.
struct EventView: Sendable {
    var leaves: [String: String]
}
