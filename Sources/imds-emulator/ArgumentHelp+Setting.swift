import ArgumentParser
import IMDSCore

extension ArgumentHelp {
    /// A flag's help from the one table of settings: its text, default and value shape.
    static func setting(_ key: String) -> ArgumentHelp {
        settingHelp[key] ?? ArgumentHelp("(undocumented setting \(key))")
    }
}

/// Made once: ArgumentParser creates the command several times while it parses (each time
/// asking every option for its help), and each help line reads a default.
private let settingHelp: [String: ArgumentHelp] = {
    let defaults = Configuration()
    return Dictionary(Setting.all.map { ($0.key, ArgumentHelp($0.helpText(defaults: defaults), valueName: $0.valueName)) },
                      uniquingKeysWith: { first, _ in first })
}()
