/// One line of the journal: a request, or a change to the instance's events.
public enum JournalEntry: Sendable {
    case access(AccessRecord)
    /// `created`, `updated` or `deleted`, with the event as the control API shows it.
    case event(change: String, time: Timestamp, event: JSONValue)

    public var json: JSONValue {
        switch self {
        case .access(let record):
            return record.json
        case .event(let change, let time, let event):
            return .object([("kind", .string("event")), ("time", .string(time.iso8601Milliseconds)),
                            ("change", .string(change)), ("event", event)])
        }
    }
}
