import IMDSCore

/// Decides when the next credential fetch is due: on the rotation schedule after a success,
/// with capped exponential backoff after failures. Pure, so its timing is tested with a fake
/// clock; the emulator only asks it and acts.
public struct RefreshPlanner: Sendable {
    public var schedule: RotationSchedule
    /// Fraction of a refresh interval that may be taken off at random, so that replicas
    /// sharing one role do not all call STS in the same second.
    public var jitterFraction: Double
    public var backoffBase = Seconds(0.5)
    public var backoffCap: Seconds

    public private(set) var nextFetch: Timestamp
    public private(set) var consecutiveFailures = 0
    public private(set) var lastError: CredentialSourceError?

    public init(schedule: RotationSchedule, jitterFraction: Double = 0, start: Timestamp) {
        self.schedule = schedule
        self.jitterFraction = jitterFraction
        self.backoffCap = min(Seconds(30), schedule.every)
        self.nextFetch = start
    }

    public func isDue(at now: Timestamp) -> Bool { now >= nextFetch }

    /// A set arrived at `now`. `random` is in 0..<1 and drives the jitter.
    public mutating func succeeded(with set: CredentialSet, at now: Timestamp, random: Double) {
        consecutiveFailures = 0
        lastError = nil
        // From the moment of the fetch, not the set's whole-second `LastUpdated`.
        let due = schedule.due(after: set, fetchedAt: now)
        let interval = max(Seconds(0), due - now)
        let jitter = min(Seconds(60), Seconds(interval.value * jitterFraction))
        nextFetch = due - Seconds(jitter.value * random)
    }

    /// A fetch failed at `now`; returns the wait before the next attempt.
    @discardableResult
    public mutating func failed(_ error: CredentialSourceError, at now: Timestamp, random: Double) -> Seconds {
        consecutiveFailures += 1
        lastError = error
        let exponent = Double(min(consecutiveFailures - 1, 30))
        let ceiling = min(backoffCap.value, backoffBase.value * pow2(exponent))
        // "Equal jitter": at least half the ceiling, so retries never bunch up at zero.
        let delay = Seconds(ceiling * (0.5 + 0.5 * random))
        nextFetch = now + delay
        return delay
    }
}

private func pow2(_ e: Double) -> Double {
    var r = 1.0
    var i = 0.0
    while i < e { r *= 2; i += 1 }
    return r
}
