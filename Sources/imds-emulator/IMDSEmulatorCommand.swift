import ArgumentParser

struct IMDSEmulatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imds-emulator",
        abstract: "Emulates the EC2 instance metadata service: IMDSv2 tokens, the metadata tree and rotating role credentials.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, CheckCommand.self, EnvCommand.self, SettingsCommand.self]
    )
}
