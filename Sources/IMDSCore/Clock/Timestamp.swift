/// A point in wall-clock time, as seconds since the Unix epoch.
///
/// IMDS speaks in UTC wall-clock times (`Expiration`, `LastUpdated`, token lifetimes), so the
/// core works in epoch seconds rather than in a monotonic clock; the adapter's timers are the
/// only place where monotonic time matters.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var secondsSinceEpoch: Double

    public init(secondsSinceEpoch: Double) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// The same instant truncated to a whole second, the resolution of every IMDS timestamp.
    public var wholeSeconds: Timestamp {
        Timestamp(secondsSinceEpoch: secondsSinceEpoch.rounded(.down))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    public static func + (lhs: Timestamp, rhs: Seconds) -> Timestamp {
        Timestamp(secondsSinceEpoch: lhs.secondsSinceEpoch + rhs.value)
    }

    public static func - (lhs: Timestamp, rhs: Seconds) -> Timestamp {
        Timestamp(secondsSinceEpoch: lhs.secondsSinceEpoch - rhs.value)
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Seconds {
        Seconds(lhs.secondsSinceEpoch - rhs.secondsSinceEpoch)
    }
}

/// A length of time in seconds; configuration durations, lifetimes and token TTLs.
public struct Seconds: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Double

    public init(_ value: Double) { self.value = value }

    public static func minutes(_ m: Double) -> Seconds { Seconds(m * 60) }
    public static func hours(_ h: Double) -> Seconds { Seconds(h * 3600) }

    public static func < (lhs: Seconds, rhs: Seconds) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: Seconds, rhs: Seconds) -> Seconds { Seconds(lhs.value + rhs.value) }
    public static func - (lhs: Seconds, rhs: Seconds) -> Seconds { Seconds(lhs.value - rhs.value) }

    /// Written back the way the configuration accepts it (`6h`, `90s`, `1h30m`).
    public var description: String { DurationFormat.format(self) }
}
