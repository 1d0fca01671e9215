import Glibc
import IMDSCore

/// Reads the YAML file named by `--config` into configuration values, keyed as the flags are.
enum ConfigFile {
    /// Far beyond any configuration (EC2's user data, the largest value, is 16 KiB), and a
    /// path such as /dev/zero is refused instead of read forever.
    static let limit = 16 << 20

    static func load(_ path: String) throws(ConfigurationError) -> [(key: String, value: ConfigValue)] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigurationError(key: "config", "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = try SecureFile.readAll(fd, path, key: "config", limit: limit)
        guard let document = try ConfigValue.yamlDocument(bytes, file: path) else { return [] }
        guard case .map(let members) = document else {
            throw ConfigurationError(key: "config", "\(path) must hold a mapping of settings, e.g. `role: my-role`")
        }
        return members
    }
}
