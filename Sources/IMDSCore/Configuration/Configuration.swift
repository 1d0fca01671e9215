/// Everything `serve` needs, checked. Built from the YAML file and the flags by
/// `Configuration(values:)`; the defaults are the command-line contract's.
public struct Configuration: Sendable, Equatable {
    public enum Source: String, Sendable, CaseIterable {
        case synthetic
        case assumeRole = "assume-role"
        case process
        case `static`
    }

    public enum AccessLogTarget: Sendable, Equatable {
        case stdout
        case off
        case file(String)
    }

    public var listen = [ListenAddress(host: "127.0.0.1", port: 9254)]
    public var service = ServiceSettings()
    public var source = Source.synthetic
    /// Lifetime of synthetic sets, of long-term keys served as they are, and of process
    /// credentials that come without an `Expiration`.
    public var credentialLifetime = Seconds.hours(6)
    /// What to ask STS for, for the sources that call it.
    public var sts = STSSettings()
    public var credentialProcess: String?
    /// How long a credential_process may run before its process group is ended.
    public var credentialProcessTimeout = Seconds(30)
    /// Serve the static source's long-term keys instead of exchanging them for a session.
    public var serveLongTermKeys = false
    /// Listen before the first set is fetched, holding early credential requests briefly.
    public var lazy = false
    /// The control API's listener; nil keeps it off.
    public var adminListen: ListenAddress?
    public var adminTokenFile: String?
    /// `--require-host`; nil takes the default: on when every listen address is loopback.
    public var requireHost: Bool?
    public var allowHosts: [String] = []
    /// The container credentials endpoint's listener; nil keeps it off.
    public var containerListen: ListenAddress?
    public var containerAuthTokenFile: String?
    /// Per-listener bounds against abusive clients.
    public var limits = ServerLimits()
    /// Instance events scheduled by the file, as the control API's JSON (`events:`).
    public var events: [JSONValue] = []

    /// The Host check of one listener: on for a loopback address unless `--require-host`
    /// says otherwise, each listener deciding for itself, so that a wider listener beside it
    /// does not turn a loopback listener's protection off.
    public func hostCheck(for address: ListenAddress) -> HostCheck {
        let listens = listen + [containerListen, adminListen].compactMap { $0 }
        return HostCheck(enabled: requireHost ?? address.isLoopback, hosts: listens.map(\.host) + allowHosts)
    }
    public var rotation = RotationSchedule(every: .hours(1), before: .minutes(30))
    public var accessLog = AccessLogTarget.stdout
    public var stateDirectory: String?
    /// PEM files of the key and certificate that sign the identity document; without them a
    /// key is made at start (and kept in `stateDirectory` when there is one).
    public var identityKey: String?
    public var identityCert: String?
    public var logLevel = "info"

    public init() {}

    /// Clients treat a set with under 15 minutes left as due for refresh (botocore's advisory
    /// window) or stretch it past expiry (its static-stability path), so a schedule that can
    /// serve one deserves a warning.
    public var servesShortLivedSets: Bool {
        rotation.leastRemaining(lifetime: credentialLifetime) < .minutes(15)
    }
}

/// The STS side of the `assume-role` and `static` sources.
public struct STSSettings: Sendable, Equatable {
    public var roleArn: String?
    public var externalId: String?
    public var sessionName: String?
    /// `DurationSeconds` of AssumeRole / GetSessionToken.
    public var duration = Seconds.hours(1)
    /// False while `duration` is the default, so a profile's `duration_seconds` may apply.
    public var durationGiven = false
    public var region: String?
    public var endpoint: String?
    public var profile: String?
    public var mfaSerial: String?
    public var mfaCommand: String?

    public init() {}

    /// The account a role ARN names, e.g. 123456789012 in arn:aws:iam::123456789012:role/x.
    public static func account(ofRoleArn arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 ? String(parts[4]) : nil
    }

    /// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, as IAM writes role ARNs.
    public static func isRoleArn(_ arn: String) -> Bool {
        ValueShape.roleArn.matches(arn)
    }
}
