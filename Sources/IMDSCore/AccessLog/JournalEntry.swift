/// One line of the journal: a request, or a change to the instance's events or facts.
public enum JournalEntry: Sendable {
    case access(AccessRecord)
    /// `created`, `updated` or `deleted`, with the event as the control API shows it.
    case event(change: String, time: Timestamp, event: JSONValue)
    /// New instance facts: the tree paths whose values changed, and what changed them
    /// (`PATCH /v1/instance`, `SIGHUP`).
    case instance(time: Timestamp, via: String, changed: [String])

    public var json: JSONValue {
        switch self {
        case .access(let record):
            return record.json
        case .event(let change, let time, let event):
            return .object([("kind", .string("event")), ("time", .string(time.iso8601Milliseconds)),
                            ("change", .string(change)), ("event", event)])
        case .instance(let time, let via, let changed):
            return .object([("kind", .string("instance")), ("time", .string(time.iso8601Milliseconds)),
                            ("via", .string(via)), ("changed", .array(changed.map { .string($0) }))])
        }
    }
}
