import ArgumentParser
import IMDSCore

/// `imds-emulator settings`: the table every flag, YAML key and environment variable of
/// `serve` comes from, one JSON object a line, for scripts and for the test that keeps the
/// README's flag list honest.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Print every setting of serve (key, flag, environment variable, default, help) as JSON lines."
    )

    func run() {
        for setting in Setting.all {
            let json = JSONValue.object([
                ("key", .string(setting.key)),
                ("flag", setting.key == "instance" || setting.key == "events" ? .null : .string("--" + setting.key)),
                ("environment", setting.key == "instance" || setting.key == "events" ? .null : .string(setting.environmentName)),
                ("value", setting.valueName.map(JSONValue.string) ?? .null),
                ("default", setting.defaultValue.map(JSONValue.string) ?? .null),
                ("help", .string(setting.help)),
            ])
            print(json.compact)
        }
    }
}
