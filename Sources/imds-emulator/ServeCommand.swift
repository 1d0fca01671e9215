import ArgumentParser
import FoundationEssentials
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

    @Option(help: .setting("listen"))
    var listen: [String] = []

    @Option(help: .setting("role"))
    var role: String?

    @Option(help: .setting("source"))
    var source: String?

    @Option(name: .customLong("credential-lifetime"), help: .setting("credential-lifetime"))
    var credentialLifetime: String?

    @Option(name: .customLong("rotate-every"), help: .setting("rotate-every"))
    var rotateEvery: String?

    @Option(name: .customLong("rotate-before"), help: .setting("rotate-before"))
    var rotateBefore: String?

    @Option(help: .setting("imdsv1"))
    var imdsv1: String?

    @Option(name: .customLong("hop-limit"), help: .setting("hop-limit"))
    var hopLimit: String?

    @Option(name: .customLong("access-log"), help: .setting("access-log"))
    var accessLog: String?

    @Option(name: .customLong("state-dir"), help: .setting("state-dir"))
    var stateDir: String?

    @Option(name: .customLong("role-arn"), help: .setting("role-arn"))
    var roleArn: String?

    @Option(name: .customLong("external-id"), help: .setting("external-id"))
    var externalId: String?

    @Option(name: .customLong("session-name"), help: .setting("session-name"))
    var sessionName: String?

    @Option(help: .setting("duration"))
    var duration: String?

    @Option(name: .customLong("sts-region"), help: .setting("sts-region"))
    var stsRegion: String?

    @Option(name: .customLong("sts-endpoint"), help: .setting("sts-endpoint"))
    var stsEndpoint: String?

    @Option(help: .setting("profile"))
    var profile: String?

    @Option(name: .customLong("mfa-serial"), help: .setting("mfa-serial"))
    var mfaSerial: String?

    @Option(name: .customLong("mfa-command"), help: .setting("mfa-command"))
    var mfaCommand: String?

    @Option(name: .customLong("credential-process"), help: .setting("credential-process"))
    var credentialProcess: String?

    @Option(name: .customLong("credential-process-timeout"), help: .setting("credential-process-timeout"))
    var credentialProcessTimeout: String?

    @Flag(name: .customLong("serve-long-term-keys"), help: .setting("serve-long-term-keys"))
    var serveLongTermKeys = false

    @Flag(help: .setting("lazy"))
    var lazy = false

    @Option(name: .customLong("admin-listen"), help: .setting("admin-listen"))
    var adminListen: String?

    @Option(name: .customLong("admin-token-file"), help: .setting("admin-token-file"))
    var adminTokenFile: String?

    @Option(name: .customLong("require-host"), help: .setting("require-host"))
    var requireHost: String?

    @Option(name: .customLong("allow-host"), help: .setting("allow-host"))
    var allowHost: [String] = []

    @Option(name: .customLong("container-listen"), help: .setting("container-listen"))
    var containerListen: String?

    @Option(name: .customLong("container-auth-token-file"), help: .setting("container-auth-token-file"))
    var containerAuthTokenFile: String?

    @Option(name: .customLong("throttle-rps"), help: .setting("throttle-rps"))
    var throttleRPS: String?

    @Option(name: .customLong("extended-api"), help: .setting("extended-api"))
    var extendedAPI: String?

    @Option(name: .customLong("max-connections"), help: .setting("max-connections"))
    var maxConnections: String?

    @Option(name: .customLong("max-connections-per-client"), help: .setting("max-connections-per-client"))
    var maxConnectionsPerClient: String?

    @Option(name: .customLong("max-header-bytes"), help: .setting("max-header-bytes"))
    var maxHeaderBytes: String?

    @Option(name: .customLong("max-headers"), help: .setting("max-headers"))
    var maxHeaders: String?

    @Option(name: .customLong("max-request-line"), help: .setting("max-request-line"))
    var maxRequestLine: String?

    @Option(name: .customLong("max-body-bytes"), help: .setting("max-body-bytes"))
    var maxBodyBytes: String?

    @Option(name: .customLong("read-timeout"), help: .setting("read-timeout"))
    var readTimeout: String?

    @Option(name: .customLong("write-timeout"), help: .setting("write-timeout"))
    var writeTimeout: String?

    @Option(name: .customLong("identity-key"), help: .setting("identity-key"))
    var identityKey: String?

    @Option(name: .customLong("identity-cert"), help: .setting("identity-cert"))
    var identityCert: String?

    @Option(name: .customLong("log-level"), help: .setting("log-level"))
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
