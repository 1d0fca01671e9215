extension Configuration {
    /// `events:` of the configuration file: each entry becomes the control API's JSON for
    /// `POST /v1/events`, so both ways share one reader. Keys are written as in the rest of the
    /// file (`not-before`, `stop-answering`), and `after` / `action-after` are durations (`90s`).
    static func eventSpecs(_ value: ConfigValue) throws(ConfigurationError) -> [JSONValue] {
        guard case .list(let items) = value else {
            throw ConfigurationError(key: "events", "must be a list of events, not \(value.kindName)")
        }
        var specs: [JSONValue] = []
        for (i, item) in items.enumerated() {
            guard case .map(let members) = item else {
                throw ConfigurationError(key: "events[\(i)]", "must be a mapping such as {type: maintenance, after: 10m}")
            }
            var out: [(String, JSONValue)] = []
            for (key, member) in members {
                let field = Self.eventField(key)
                let path = "events[\(i)].\(key)"
                let text = try scalar(path, member)
                switch field {
                case "after_seconds", "action_after_seconds":
                    guard let seconds = DurationFormat.parse(text) else {
                        throw ConfigurationError(key: path, "\"\(text)\" is not a duration; valid: 90s, 15m, 6h")
                    }
                    out.append((field, .double(seconds.value)))
                case "stop_answering":
                    switch text {
                    case "true", "yes", "on": out.append((field, .bool(true)))
                    case "false", "no", "off": out.append((field, .bool(false)))
                    default: throw ConfigurationError(key: path, "\"\(text)\" is not valid; valid: true, false")
                    }
                default:
                    out.append((field, .string(text)))
                }
            }
            specs.append(.object(out))
        }
        return specs
    }

    /// Reads every event against the final instance facts (a Spot event needs a Spot
    /// instance), so that a bad one stops the start with exit status 2.
    func checkEvents() throws(ConfigurationError) {
        let now = Timestamp(secondsSinceEpoch: 0)
        for (i, spec) in events.enumerated() {
            do throws(EventSpecError) {
                _ = try InstanceEvent(spec: spec, id: "evt-\(i + 1)", now: now, instance: service.instance,
                                      randomHex: { String(repeating: "0", count: 17) }, name: { Self.eventKey($0, index: i) })
            } catch {
                throw ConfigurationError(key: error.field, error.problem)
            }
        }
    }

    /// `not-before` → `not_before`; `after` → `after_seconds`.
    static func eventField(_ key: String) -> String {
        switch key {
        case "after": return "after_seconds"
        case "action-after": return "action_after_seconds"
        default: return key.replacingEvery("-", with: "_")
        }
    }

    /// The file's spelling of a field, for messages: `events[0].not-before`.
    public static func eventKey(_ field: String, index: Int) -> String {
        let key: String
        switch field {
        case "after_seconds": key = "after"
        case "action_after_seconds": key = "action-after"
        default: key = field.replacingEvery("_", with: "-")
        }
        return "events[\(index)].\(key)"
    }
}
