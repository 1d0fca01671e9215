/// A configuration value before it is checked: what a YAML node or a command-line flag holds.
/// Flags and the file both become these, keyed by the same names (`hop-limit`, `instance.region`),
/// so that one validator gives the same message whichever way a value came in.
public enum ConfigValue: Sendable, Equatable {
    case scalar(String)
    case list([ConfigValue])
    case map([(key: String, value: ConfigValue)])

    public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case let (.scalar(a), .scalar(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.map(a), .map(b)): return a.elementsEqual(b, by: { $0.key == $1.key && $0.value == $1.value })
        default: return false
        }
    }

    var kindName: String {
        switch self {
        case .scalar: return "a single value"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }
}
