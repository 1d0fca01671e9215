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

    /// When a set fetched at `fetched` is due for replacement: the one rotation formula, used
    /// for the role's sets and the instance identity set alike.
    public func due(after set: CredentialSet, fetchedAt fetched: Timestamp) -> Timestamp {
        if set.expiration - before <= fetched {
            // The set came with less life than `rotate-before` (a short credential_process
            // lifetime, a 15-minute STS session): refresh at half of what is left, or it
            // would be fetched again at once, forever.
            return min(fetched + every, fetched + max(Seconds(1), Seconds((set.expiration - fetched).value / 2)))
        }
        return min(fetched + every, set.expiration - before)
    }

    /// The least time a client can find left on a set this schedule publishes with `lifetime`.
    public func leastRemaining(lifetime: Seconds) -> Seconds {
        lifetime - min(every, lifetime - before)
    }
}
