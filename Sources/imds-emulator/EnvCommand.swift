import ArgumentParser
import IMDSCore

/// `imds-emulator env`: the shell lines that point SDKs at a running emulator, for
/// `eval "$(imds-emulator env)"`.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the export lines that point AWS SDKs at a running emulator."
    )

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("The YAML configuration the emulator runs with.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The address the emulator listens on. (default: the configuration's first, or 127.0.0.1:9254)", valueName: "host:port"))
    var listen: String?

    @Flag(help: "Point SDKs at the container credentials endpoint instead of IMDS.")
    var container = false

    @Option(name: .customLong("container-listen"), help: ArgumentHelp("The container endpoint's address.", valueName: "host:port"))
    var containerListen: String?

    @Option(name: .customLong("container-auth-token-file"), help: ArgumentHelp("The container endpoint's token file.", valueName: "file"))
    var containerAuthTokenFile: String?

    func run() throws {
        var flags: [(String, ConfigValue)] = []
        if let listen { flags.append(("listen", .scalar(listen))) }
        if let containerListen { flags.append(("container-listen", .scalar(containerListen))) }
        if let containerAuthTokenFile { flags.append(("container-auth-token-file", .scalar(containerAuthTokenFile))) }
        let configuration = try ConfigurationLoader.load(file: config, flags: flags)
        let lines: [String]
        if container {
            guard let address = configuration.containerListen else {
                throw ConfigurationError(key: "container-listen", "is needed with --container: the address of the container endpoint")
            }
            lines = Self.containerLines(for: address, tokenFile: configuration.containerAuthTokenFile)
        } else {
            lines = Self.lines(for: configuration.listen[0])
        }
        for line in lines { print(line) }
    }

    static func lines(for address: ListenAddress) -> [String] {
        [
            "# Point AWS SDKs at imds-emulator: eval \"$(imds-emulator env)\"",
            // The trailing slash matters: awscli up to 2.9 appends paths without a separator.
            "export AWS_EC2_METADATA_SERVICE_ENDPOINT=\(address.endpointURL)",
            "export AWS_EC2_METADATA_DISABLED=false",
        ] + noProxy(address) + [
            // The default chain prefers keys, profiles and container credentials over IMDS.
            "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
    }

    static func containerLines(for address: ListenAddress, tokenFile: String?) -> [String] {
        var out = [
            "# Point AWS SDKs at imds-emulator's container endpoint: eval \"$(imds-emulator env --container …)\"",
            "export AWS_CONTAINER_CREDENTIALS_FULL_URI=\(address.endpointURL)v1/credentials",
        ]
        if let tokenFile { out.append("export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=\(shellQuoted(tokenFile))") }
        return out + noProxy(address) + [
            // RELATIVE_URI wins over FULL_URI in botocore, Java and aws-c-auth; keys win over both.
            "unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE",
        ]
    }

    /// Single quotes, so any path survives `eval`.
    static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingEvery("'", with: "'\\''") + "'"
    }

    /// botocore and Go honour proxy variables even for metadata and container endpoints.
    private static func noProxy(_ address: ListenAddress) -> [String] {
        let url = address.endpointURL
        let authority = url.dropFirst("http://".count).prefix { $0 != "/" }
        let host = authority.hasPrefix("[") ? String(authority.dropFirst().prefix { $0 != "]" }) : String(authority.prefix { $0 != ":" })
        return [
            "export NO_PROXY=\"${NO_PROXY:+$NO_PROXY,}\(host)\"",
            "export no_proxy=\"${no_proxy:+$no_proxy,}\(host)\"",
        ]
    }
}
