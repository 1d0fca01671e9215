/// The instance's own identity credentials (`identity-credentials/ec2/security-credentials/
/// ec2-instance`). EC2 gives every instance this set, role or no role, for AWS's own agents
/// (SSM, EC2 Instance Connect) to prove which instance they run on. They are always synthetic
/// here and rotate on a schedule of their own, so a test can tell them apart from the role's
/// set and see that a client picked the right one.
public struct IdentityCredentials: Sendable {
    /// EC2's instance identity sets live about as long as its role sets.
    public static let lifetime = Seconds.hours(6)

    private let maker: SyntheticCredentials
    private let schedule: RotationSchedule
    public private(set) var current: CredentialSet?

    /// `schedule` is the role's; its `before` is kept under half the lifetime, so that a
    /// schedule made for short role sets cannot make this one rotate on every request.
    public init(schedule: RotationSchedule, random: RandomSource) {
        maker = SyntheticCredentials(lifetime: Self.lifetime, random: random)
        self.schedule = RotationSchedule(every: schedule.every,
                                         before: min(schedule.before, Seconds(Self.lifetime.value / 2)))
    }

    /// When the current set is replaced; nil before the first.
    public var nextRotation: Timestamp? { current.map { schedule.due(after: $0, fetchedAt: $0.lastUpdated) } }

    /// Makes a new set when there is none, when the schedule says so, or when `force` is set;
    /// true when it did.
    public mutating func refresh(at now: Timestamp, force: Bool = false) -> Bool {
        if !force, let due = nextRotation, now < due { return false }
        current = maker.make(now: now)
        return true
    }
}
