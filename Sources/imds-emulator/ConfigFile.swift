import Foundation
import IMDSCore
import Yams

/// Reads the YAML file named by `--config` into configuration values, keyed as the flags are.
enum ConfigFile {
    static func load(_ path: String) throws(ConfigurationError) -> [(key: String, value: ConfigValue)] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "config", "cannot read \(path): \(Self.reason(error))")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            let first = String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid YAML"
            throw ConfigurationError(key: "config", "\(path) is not valid YAML: \(first)")
        }
        guard let node else { return [] }
        guard case .map(let members) = try value(node, at: "config") else {
            throw ConfigurationError(key: "config", "\(path) must hold a mapping of settings, e.g. `role: my-role`")
        }
        return members
    }

    private static func value(_ node: Node, at key: String) throws(ConfigurationError) -> ConfigValue {
        switch node {
        case .scalar(let s):
            return .scalar(s.string)
        case .sequence(let items):
            var out: [ConfigValue] = []
            for item in items { out.append(try value(item, at: key)) }
            return .list(out)
        case .mapping(let mapping):
            var out: [(key: String, value: ConfigValue)] = []
            for (k, v) in mapping {
                guard case .scalar(let name) = k else {
                    throw ConfigurationError(key: key, "has a key that is not a plain name")
                }
                out.append((name.string, try value(v, at: key == "config" ? name.string : "\(key).\(name.string)")))
            }
            return .map(out)
        case .alias:
            throw ConfigurationError(key: key, "uses a YAML alias; write the value out")
        }
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
