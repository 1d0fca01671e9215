import FoundationEssentials
import IMDSCore

/// One of the AWS shared files (`~/.aws/credentials`, `~/.aws/config`): INI sections of
/// `key = value` lines. No dependency of ours reads INI, and the format the SDKs accept is
/// small: `#`/`;` comment lines, indented lines continuing a nested setting (skipped here).
struct SharedConfigFile {
    var sections: [String: [String: String]] = [:]

    init(text: String) {
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let isIndented = rawLine.first == " " || rawLine.first == "\t"
            let line = rawLine.trimmingBlanks()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingBlanks()
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, !isIndented, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingBlanks().lowercased()
            let value = line[line.index(after: eq)...].trimmingBlanks()
            if !key.isEmpty, !value.isEmpty { sections[section]?[key] = value }
        }
    }

    /// Reads the file at `path`; a missing file is an empty one, an unreadable one an error
    /// naming `setting` (the variable or flag that chose the path).
    static func load(_ path: String, setting: String) throws(ConfigurationError) -> SharedConfigFile {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return SharedConfigFile(text: "") }
        guard !isDirectory else {
            throw ConfigurationError(key: setting, "\(path) is a directory, not a credentials or config file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(key: setting, "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: setting, "\(path) is not UTF-8 text")
        }
        return SharedConfigFile(text: text)
    }
}
