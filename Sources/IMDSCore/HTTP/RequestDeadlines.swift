/// When each open connection must have delivered its whole request. libevent's read timeout
/// restarts with every byte, so a client sending one byte a second would keep its connection
/// (and its place under `max-connections`) for hours; this bounds the whole request instead,
/// as nginx's `client_header_timeout` does.
///
/// Only connections still waiting for their request are kept, so memory follows the open
/// connections, not the connection rate; expiry looks at all of them, which a few times a
/// second is cheap next to serving them.
public struct RequestDeadlines<Connection: Hashable> {
    private var waiting: [Connection: Int64] = [:]

    public init() {}

    public var count: Int { waiting.count }

    /// A new connection; a reused address simply gets the new deadline.
    public mutating func start(_ connection: Connection, deadline: Int64) {
        waiting[connection] = deadline
    }

    /// The request arrived, or the connection went.
    public mutating func forget(_ connection: Connection) {
        waiting.removeValue(forKey: connection)
    }

    /// Removes and returns the connections whose deadline is `now` or earlier.
    public mutating func expire(now: Int64) -> [Connection] {
        let late = waiting.compactMap { $0.value <= now ? $0.key : nil }
        for connection in late { waiting.removeValue(forKey: connection) }
        return late
    }
}
