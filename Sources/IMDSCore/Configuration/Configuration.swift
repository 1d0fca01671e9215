/// Everything `serve` needs, checked. Built from the YAML file and the flags by
/// `Configuration(values:)`; the defaults are the command-line contract's.
public struct Configuration: Sendable, Equatable {
    public enum Source: String, Sendable, CaseIterable {
        case synthetic
    }

    public enum AccessLogTarget: Sendable, Equatable {
        case stdout
        case off
        case file(String)
    }

    public var listen = [ListenAddress(host: "127.0.0.1", port: 9254)]
    public var service = ServiceSettings()
    public var source = Source.synthetic
    public var credentialLifetime = Seconds.hours(6)
    public var rotation = RotationSchedule(every: .hours(1), before: .minutes(30))
    public var accessLog = AccessLogTarget.stdout
    public var stateDirectory: String?
    public var logLevel = "info"

    public init() {}

    /// Clients treat a set with under 15 minutes left as due for refresh (botocore's advisory
    /// window) or stretch it past expiry (its static-stability path), so a schedule that can
    /// serve one deserves a warning.
    public var servesShortLivedSets: Bool {
        rotation.leastRemaining(lifetime: credentialLifetime) < .minutes(15)
    }
}
