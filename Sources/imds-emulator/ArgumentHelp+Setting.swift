import ArgumentParser
import IMDSCore

extension ArgumentHelp {
    /// A flag's help from the one table of settings: its text, default and value shape.
    static func setting(_ key: String) -> ArgumentHelp {
        guard let setting = Setting.named(key) else { return ArgumentHelp("(undocumented setting \(key))") }
        return ArgumentHelp(setting.helpText, valueName: setting.valueName)
    }
}
