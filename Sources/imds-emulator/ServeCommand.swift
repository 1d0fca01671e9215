import ArgumentParser
import IMDSCore
import Logging

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the emulator.",
        discussion: "Every flag can also be set in the YAML file given with --config, under the flag's name; flags override the file."
    )

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Address to listen on; repeatable. IPv6 as [::1]:9254. (default: 127.0.0.1:9254)", valueName: "host:port"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Role served under iam/security-credentials/. (default: imds-emulator)", valueName: "name"))
    var role: String?

    @Option(help: ArgumentHelp("Where credentials come from. (default: synthetic)", valueName: "synthetic"))
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

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Keeps the token key so that restarts accept live tokens.", valueName: "dir"))
    var stateDir: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("Diagnostics on stderr: debug, info, warning, error. (default: info)", valueName: "level"))
    var logLevel: String?

    func run() throws {
        var values = try config.map(ConfigFile.load) ?? []
        if !listen.isEmpty { values.append(("listen", .list(listen.map(ConfigValue.scalar)))) }
        let flags: [(String, String?)] = [
            ("role", role), ("source", source), ("credential-lifetime", credentialLifetime),
            ("rotate-every", rotateEvery), ("rotate-before", rotateBefore), ("imdsv1", imdsv1),
            ("hop-limit", hopLimit), ("access-log", accessLog), ("state-dir", stateDir), ("log-level", logLevel),
        ]
        for case let (key, value?) in flags { values.append((key, .scalar(value))) }
        let configuration = try Configuration(values: values)

        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let emulator = try Emulator(configuration: configuration, logger: Logger(label: "imds-emulator"))
        try emulator.run()
    }
}
