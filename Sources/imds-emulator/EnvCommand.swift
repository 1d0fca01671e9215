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

    func run() throws {
        var values = try config.map(ConfigFile.load) ?? []
        if let listen { values.append(("listen", .scalar(listen))) }
        let configuration = try Configuration(values: values)
        for line in Self.lines(for: configuration.listen[0]) { print(line) }
    }

    static func lines(for address: ListenAddress) -> [String] {
        let endpoint = address.endpointURL
        let host = endpoint.dropFirst("http://".count).split(separator: "/").first.map(String.init) ?? address.host
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().prefix { $0 != "]" }) : String(host.prefix { $0 != ":" })
        return [
            "# Point AWS SDKs at imds-emulator: eval \"$(imds-emulator env)\"",
            // The trailing slash matters: awscli up to 2.9 appends paths without a separator.
            "export AWS_EC2_METADATA_SERVICE_ENDPOINT=\(endpoint)",
            "export AWS_EC2_METADATA_DISABLED=false",
            // botocore and Go honour proxy variables even for the metadata service.
            "export NO_PROXY=\"${NO_PROXY:+$NO_PROXY,}\(bareHost)\"",
            "export no_proxy=\"${no_proxy:+$no_proxy,}\(bareHost)\"",
            // The default chain prefers keys and profiles from the environment over IMDS.
            "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
    }
}
