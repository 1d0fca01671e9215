/// When the next credential set must be published, the way EC2 does it: at least every
/// `every`, and never later than `before` ahead of the current set's expiry, so that no client
/// is handed a set too close to its end (botocore would otherwise stretch it past expiry).
public struct RotationSchedule: Sendable, Equatable {
    public var every: Seconds
    public var before: Seconds

    public init(every: Seconds, before: Seconds) {
        self.every = every
        self.before = before
    }

    public func nextRotation(after set: CredentialSet) -> Timestamp {
        min(set.lastUpdated + every, set.expiration - before)
    }

    /// The least time a client can find left on a set this schedule publishes with `lifetime`.
    public func leastRemaining(lifetime: Seconds) -> Seconds {
        lifetime - min(every, lifetime - before)
    }
}
