import ArgumentParser
import Foundation
import IMDSCore
import Logging

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the emulator.",
        discussion: "Every flag can also be set in the YAML file given with --config, under the flag's name, or in the environment as IMDS_EMULATOR_NAME (upper case, - as _); flags override the environment, which overrides the file."
    )

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Address to listen on; repeatable. IPv6 as [::1]:9254. (default: 127.0.0.1:9254)", valueName: "host:port"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Role served under iam/security-credentials/. (default: imds-emulator)", valueName: "name"))
    var role: String?

    @Option(help: ArgumentHelp("Where credentials come from. (default: synthetic)", valueName: "synthetic|assume-role|process|static"))
    var source: String?

    @Option(name: .customLong("credential-lifetime"), help: ArgumentHelp("Lifetime of each credential set. (default: 6h)", valueName: "duration"))
    var credentialLifetime: String?

    @Option(name: .customLong("rotate-every"), help: ArgumentHelp("Publish a new set at least this often. (default: 1h)", valueName: "duration"))
    var rotateEvery: String?

    @Option(name: .customLong("rotate-before"), help: ArgumentHelp("And at least this long before the current set expires. (default: 30m)", valueName: "duration"))
    var rotateBefore: String?

    @Option(help: ArgumentHelp("Serve tokenless GETs (IMDSv1). (default: disabled)", valueName: "enabled|disabled"))
    var imdsv1: String?

    @Option(name: .customLong("hop-limit"), help: ArgumentHelp("IP TTL / hop limit of token PUT replies, 1..64. (default: 1)", valueName: "n"))
    var hopLimit: String?

    @Option(name: .customLong("access-log"), help: ArgumentHelp("JSON lines, one per request: a file, - for stdout, or off. (default: -)", valueName: "path|-|off"))
    var accessLog: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Keeps the token key, so that restarts accept live tokens, and the identity-document signing key.", valueName: "dir"))
    var stateDir: String?

    @Option(name: .customLong("role-arn"), help: ArgumentHelp("assume-role: the role to assume.", valueName: "arn"))
    var roleArn: String?

    @Option(name: .customLong("external-id"), help: ArgumentHelp("assume-role: ExternalId the role's trust policy asks for.", valueName: "id"))
    var externalId: String?

    @Option(name: .customLong("session-name"), help: ArgumentHelp("assume-role: RoleSessionName. (default: imds-emulator-HOST)", valueName: "name"))
    var sessionName: String?

    @Option(help: ArgumentHelp("assume-role: session length, 15m..12h; static: GetSessionToken length, 15m..36h. (default: 1h)", valueName: "duration"))
    var duration: String?

    @Option(name: .customLong("sts-region"), help: ArgumentHelp("Region of the STS endpoint. (default: the profile's region, else us-east-1)", valueName: "region"))
    var stsRegion: String?

    @Option(name: .customLong("sts-endpoint"), help: ArgumentHelp("STS URL, e.g. a VPC endpoint or moto. (default: https://sts.REGION.amazonaws.com/)", valueName: "url"))
    var stsEndpoint: String?

    @Option(help: ArgumentHelp("Profile of the shared config files holding the source keys (and possibly role_arn).", valueName: "name"))
    var profile: String?

    @Option(name: .customLong("mfa-serial"), help: ArgumentHelp("MFA device for AssumeRole / GetSessionToken.", valueName: "arn"))
    var mfaSerial: String?

    @Option(name: .customLong("mfa-command"), help: ArgumentHelp("Shell command that prints the current MFA code.", valueName: "cmd"))
    var mfaCommand: String?

    @Option(name: .customLong("credential-process"), help: ArgumentHelp("process: shell command printing credential_process JSON.", valueName: "cmd"))
    var credentialProcess: String?

    @Option(name: .customLong("credential-process-timeout"), help: ArgumentHelp("process: time the command may take; then its whole process group is killed. (default: 30s)", valueName: "duration"))
    var credentialProcessTimeout: String?

    @Flag(name: .customLong("serve-long-term-keys"), help: "static: serve the keys as they are instead of a GetSessionToken session.")
    var serveLongTermKeys = false

    @Flag(help: "Listen at once and fetch the first set in the background.")
    var lazy = false

    @Option(name: .customLong("admin-listen"), help: ArgumentHelp("Address of the control API (docs/control-api.md); off unless given.", valueName: "host:port"))
    var adminListen: String?

    @Option(name: .customLong("admin-token-file"), help: ArgumentHelp("Bearer token of the control API; created (mode 0600) if missing.", valueName: "file"))
    var adminTokenFile: String?

    @Option(name: .customLong("require-host"), help: ArgumentHelp("Refuse requests whose Host is not an address of the emulator. (default: enabled when listening on loopback only)", valueName: "enabled|disabled"))
    var requireHost: String?

    @Option(name: .customLong("allow-host"), help: ArgumentHelp("Another Host name to accept; repeatable.", valueName: "name"))
    var allowHost: [String] = []

    @Option(name: .customLong("container-listen"), help: ArgumentHelp("Address of the ECS/EKS-style container credentials endpoint; off unless given.", valueName: "host:port"))
    var containerListen: String?

    @Option(name: .customLong("container-auth-token-file"), help: ArgumentHelp("Authorization value the container endpoint requires; re-read when it changes.", valueName: "file"))
    var containerAuthTokenFile: String?

    @Option(name: .customLong("throttle-rps"), help: ArgumentHelp("Requests per second per client before 429; 0 is off. (default: 0)", valueName: "n"))
    var throttleRPS: String?

    @Option(name: .customLong("extended-api"), help: ArgumentHelp("Serve iam/security-credentials-extended/ with AccountId. (default: disabled, 404 as on most instances)", valueName: "enabled|disabled"))
    var extendedAPI: String?

    @Option(name: .customLong("max-connections"), help: ArgumentHelp("Open connections per listener; past it new ones get 503 and are closed. (default: 4096)", valueName: "n"))
    var maxConnections: String?

    @Option(name: .customLong("max-connections-per-client"), help: ArgumentHelp("Open connections one client address may hold; past it 503. (default: 1024)", valueName: "n"))
    var maxConnectionsPerClient: String?

    @Option(name: .customLong("max-header-bytes"), help: ArgumentHelp("Request line and headers together; 400 past it. (default: 8192)", valueName: "n"))
    var maxHeaderBytes: String?

    @Option(name: .customLong("max-headers"), help: ArgumentHelp("Header lines per request; 431 past it. (default: 64)", valueName: "n"))
    var maxHeaders: String?

    @Option(name: .customLong("max-request-line"), help: ArgumentHelp("Bytes of the request line; 414 past it. (default: 4096)", valueName: "n"))
    var maxRequestLine: String?

    @Option(name: .customLong("max-body-bytes"), help: ArgumentHelp("Request body; 413 past it. (default: 1024)", valueName: "n"))
    var maxBodyBytes: String?

    @Option(name: .customLong("read-timeout"), help: ArgumentHelp("Time allowed for a whole request to arrive. (default: 5s)", valueName: "duration"))
    var readTimeout: String?

    @Option(name: .customLong("write-timeout"), help: ArgumentHelp("Stall allowed while an answer is sent. (default: 5s)", valueName: "duration"))
    var writeTimeout: String?

    @Option(name: .customLong("identity-key"), help: ArgumentHelp("PEM RSA key that signs the identity document (pkcs7, signature, rsa2048); with --identity-cert. (default: made at start, kept in --state-dir)", valueName: "file"))
    var identityKey: String?

    @Option(name: .customLong("identity-cert"), help: ArgumentHelp("PEM certificate of --identity-key, for verifiers.", valueName: "file"))
    var identityCert: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("Diagnostics on stderr: debug, info, warning, error. (default: info)", valueName: "level"))
    var logLevel: String?

    func run() throws {
        var flags: [(String, ConfigValue)] = []
        if !listen.isEmpty { flags.append(("listen", .list(listen.map(ConfigValue.scalar)))) }
        if !allowHost.isEmpty { flags.append(("allow-host", .list(allowHost.map(ConfigValue.scalar)))) }
        let scalars: [(String, String?)] = [
            ("role", role), ("source", source), ("credential-lifetime", credentialLifetime),
            ("rotate-every", rotateEvery), ("rotate-before", rotateBefore), ("imdsv1", imdsv1),
            ("hop-limit", hopLimit), ("access-log", accessLog), ("state-dir", stateDir), ("log-level", logLevel),
            ("role-arn", roleArn), ("external-id", externalId), ("session-name", sessionName), ("duration", duration),
            ("sts-region", stsRegion), ("sts-endpoint", stsEndpoint), ("profile", profile), ("mfa-serial", mfaSerial),
            ("mfa-command", mfaCommand), ("credential-process", credentialProcess),
            ("credential-process-timeout", credentialProcessTimeout),
            ("serve-long-term-keys", serveLongTermKeys ? "true" : nil), ("lazy", lazy ? "true" : nil),
            ("admin-listen", adminListen), ("admin-token-file", adminTokenFile), ("require-host", requireHost),
            ("container-listen", containerListen), ("container-auth-token-file", containerAuthTokenFile),
            ("throttle-rps", throttleRPS), ("extended-api", extendedAPI), ("max-connections", maxConnections),
            ("max-connections-per-client", maxConnectionsPerClient),
            ("max-header-bytes", maxHeaderBytes), ("max-headers", maxHeaders), ("max-request-line", maxRequestLine),
            ("max-body-bytes", maxBodyBytes), ("read-timeout", readTimeout), ("write-timeout", writeTimeout),
            ("identity-key", identityKey), ("identity-cert", identityCert),
        ]
        for case let (key, value?) in scalars { flags.append((key, .scalar(value))) }
        let configuration = try ConfigurationLoader.load(file: config, flags: flags)

        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let built = try SourceFactory.make(configuration, environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "imds-emulator")
        var reload: (() throws -> Configuration)?
        if let file = config {
            reload = { try ConfigurationLoader.load(file: file, flags: flags) }
        }
        let emulator = try Emulator(configuration: configuration, built: built, logger: logger, reload: reload)
        try emulator.run()
    }
}
