import Synchronization

/// Real time plus an offset the control API sets, so a six-hour credential lifecycle can be
/// driven in seconds. Everything that decides expiry or rotation reads this clock; the access
/// log and the HTTP `Date` header keep real time.
///
/// The offset is set on the event loop and read there and on the refresh worker (an STS
/// source stamps its sets with the time of the fetch), so it sits behind a lock.
public final class ShiftedClock: WallClock, Sendable {
    private let base: any WallClock
    private let shift = Mutex(Seconds(0))

    public init(base: any WallClock) {
        self.base = base
    }

    public var offset: Seconds {
        get { shift.withLock { $0 } }
        set { shift.withLock { $0 = newValue } }
    }

    public func now() -> Timestamp { base.now() + offset }
}
