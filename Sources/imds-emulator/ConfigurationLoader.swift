import FoundationEssentials
import IMDSCore

/// Layers the three places settings come from, lowest first: the YAML file, the environment
/// (`IMDS_EMULATOR_<KEY>`, handy in containers) and the flags. An error in a value that came
/// from the environment names its variable.
enum ConfigurationLoader {
    static func load(file: String?, flags: [(String, ConfigValue)],
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Configuration {
        var values = try file.map(ConfigFile.load) ?? []
        var origins: [String: String] = [:]
        for key in Configuration.keys where key != "instance" && key != "events" {
            let name = variable(for: key)
            guard let text = environment[name] else { continue }
            if key == "listen" || key == "allow-host" {
                values.append((key, .list(text.split(separator: ",").map { .scalar($0.trimmingBlanks()) })))
            } else {
                values.append((key, .scalar(text)))
            }
            origins[key] = name
        }
        for (key, value) in flags {
            values.append((key, value))
            origins[key] = nil
        }
        do {
            return try Configuration(values: values)
        } catch {
            var named = error
            if let origin = origins[error.key] { named.key = origin }
            throw named
        }
    }

    static func variable(for key: String) -> String {
        Setting.environmentName(for: key)
    }
}
