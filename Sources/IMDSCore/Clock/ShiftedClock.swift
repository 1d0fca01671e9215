/// Real time plus an offset the control API sets, so a six-hour credential lifecycle can be
/// driven in seconds. Everything that decides expiry or rotation reads this clock; the access
/// log and the HTTP `Date` header keep real time.
public final class ShiftedClock: WallClock, @unchecked Sendable {
    private let base: any WallClock
    /// Only changed on the event-loop thread, like everything else the core holds.
    public var offset = Seconds(0)

    public init(base: any WallClock) {
        self.base = base
    }

    public func now() -> Timestamp { base.now() + offset }
}
