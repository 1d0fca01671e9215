/// The recent access records and instance-event changes, numbered, for `GET /v1/journal`: a
/// test asks "which client fetched which key since N" or "when did the notice go up" without
/// reading the log file. A ring buffer, so it stays small.
public struct Journal: Sendable {
    public let capacity: Int
    private var records: [(seq: Int, record: JournalEntry)] = []
    private var start = 0
    public private(set) var lastSeq = 0

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
        records.reserveCapacity(min(capacity, 1024))
    }

    public mutating func append(_ record: AccessRecord) {
        append(entry: .access(record))
    }

    public mutating func append(entry record: JournalEntry) {
        lastSeq += 1
        if records.count < capacity {
            records.append((lastSeq, record))
        } else {
            records[start] = (lastSeq, record)
            start = (start + 1) % capacity
        }
    }

    /// Records numbered after `since`, oldest first, at most `limit`.
    public func records(since: Int, limit: Int = 1000) -> [(seq: Int, record: JournalEntry)] {
        var out: [(seq: Int, record: JournalEntry)] = []
        let count = records.count
        guard count > 0 else { return out }
        let oldest = records[start].seq
        var index = max(0, since - oldest + 1)
        while index < count && out.count < limit {
            out.append(records[(start + index) % count])
            index += 1
        }
        return out
    }
}
