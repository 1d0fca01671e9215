/// Whether a listening socket lets the kernel hold new connections until their first bytes
/// arrive (`TCP_DEFER_ACCEPT`), decided from how fast connections come.
///
/// Under load, a connection is accepted the moment its handshake ends and its request follows
/// a few microseconds later, so each one costs a registration with epoll, a wake-up and the
/// removal again. Deferred, the kernel queues it for accept only once the request is there:
/// one accept, one read, one write, one close. That takes a fifth or more off the system time
/// per request under load (25–27 µs → 18–23 µs per token PUT on the 2-core build machine).
///
/// The price is that a connection which sends nothing is seen only when the deferral ends
/// (about a second: the kernel's first SYN-ACK retransmission), so it counts against the
/// connection limits that much later. A client on its own, and every test of those limits,
/// opens far fewer connections than the threshold, so deferral is only on while connections
/// arrive at a rate no SDK makes (1000 within a second), and off again once the rate falls.
struct DeferAcceptPolicy {
    /// Connections within one window that turn deferral on as soon as the last of them is
    /// accepted (a load test reaches it in a few dozen milliseconds), and the rate per second
    /// of a whole window below which it goes off again.
    static let onCount = 1000
    static let offRate = 100.0
    /// How long a window of counting lasts, in microseconds.
    static let window: Int64 = 1_000_000

    private(set) var deferring = false
    private var windowStart: Int64?
    private var count = 0

    /// Counts a connection accepted at `now` (monotonic microseconds). Returns the new
    /// setting when it changes, nil when it stays.
    mutating func accepted(at now: Int64) -> Bool? {
        if windowStart == nil { windowStart = now }
        count += 1
        if endsDeferral(at: now) { return false }
        if !deferring, count >= Self.onCount {
            deferring = true
            return true
        }
        return nil
    }

    /// Once the window has lasted its second, ends it at `now`; true when that turns deferral
    /// off, the window's rate being low (turning on is the count's job, in `accepted`). Also
    /// called by a timer while deferring, so that deferral ends soon after the connections
    /// stop coming.
    mutating func endsDeferral(at now: Int64) -> Bool {
        guard let start = windowStart, now - start >= Self.window else { return false }
        // The rate over the time the window actually covered: after a pause, that is the
        // pause as well, so one connection after a burst does not keep deferral on.
        let rate = Double(count) * 1_000_000 / Double(now - start)
        windowStart = now
        count = 0
        guard deferring, rate < Self.offRate else { return false }
        deferring = false
        return true
    }
}
