/// The behaviour switches of the IMDS endpoint itself.
public struct ServiceSettings: Sendable, Equatable {
    /// Serve tokenless GETs (IMDSv1). EC2's `HttpTokens=optional`; off means `required`.
    public var imdsv1Enabled = false
    /// EC2's `HttpPutResponseHopLimit`, applied to token PUT replies.
    public var hopLimit = 1
    /// The role of the instance profile, served under `iam/security-credentials/`.
    public var role = "imds-emulator"
    public var instance = InstanceMetadata()
    /// Requests per second per client before 429; 0 is off, as on EC2 by default.
    public var throttleRPS = 0
    /// Serve `iam/security-credentials-extended/` (404 on most real instances).
    public var extendedAPI = false

    public init() {}
}
