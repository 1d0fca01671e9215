/// The only way the core learns the time. Injected so that token expiry and rotation can be
/// tested, and later shifted, without sleeping.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// A clock that only moves when told to; for tests and for deterministic replays.
public final class ManualClock: WallClock, @unchecked Sendable {
    private var current: Timestamp

    public init(_ start: Timestamp) { current = start }

    public func now() -> Timestamp { current }

    public func advance(by seconds: Seconds) { current = current + seconds }

    public func set(_ time: Timestamp) { current = time }
}
