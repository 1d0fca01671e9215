extension ConfigValue {
    /// The control API's JSON as the configuration file's values, so that `PATCH /v1/instance`
    /// is checked by the same readers as `instance:` in the file. Numbers and booleans become
    /// their text, as YAML scalars are; nil for `null`, which the caller gives its own meaning.
    init?(json: JSONValue) {
        switch json {
        case .null: return nil
        case .string(let s): self = .scalar(s)
        case .int(let n): self = .scalar(String(n))
        case .double(let d): self = .scalar(String(d))
        case .bool(let b): self = .scalar(b ? "true" : "false")
        case .array(let items): self = .list(items.map { ConfigValue(json: $0) ?? .scalar("") })
        case .object(let members): self = .map(members.map { ($0.0, ConfigValue(json: $0.1) ?? .scalar("")) })
        }
    }
}

extension InstanceMetadata {
    /// These facts with `changes` (instance keys as in the file; `null` takes a key back to
    /// its default) applied and checked together, as `PATCH /v1/instance` does.
    public func applying(_ changes: [(String, JSONValue)]) throws(ConfigurationError) -> InstanceMetadata {
        var next = self
        for (key, value) in changes {
            let path = "instance.\(key)"
            if let config = ConfigValue(json: value) {
                try next.apply(path, key, config)
            } else {
                try next.clear(path, key)
            }
        }
        try next.check()
        return next
    }
}
