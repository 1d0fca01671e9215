extension ConfigValue {
    /// The configuration file's one document as values, nil when it holds none (empty, or
    /// only comments). Scalars are their text as written, so `hop-limit: 01` or `region: no`
    /// reach the setting's own check unchanged. Refused, each naming the setting it is under:
    /// an alias (a value defined elsewhere is easy to misread; write it out), a key that is a
    /// list or a mapping, a key given twice in one mapping, and a second document. `file` is
    /// the path the messages name.
    public static func yamlDocument(_ bytes: [UInt8], file: String) throws(ConfigurationError) -> ConfigValue? {
        let events: [YAMLParser.MarkedEvent]
        do {
            events = try YAMLParser.events(bytes)
        } catch {
            throw notYAML(file, error.message)
        }
        var reader = YAMLDocumentReader(events: events, file: file)
        return try reader.document()
    }

    static func notYAML(_ file: String, _ why: String) -> ConfigurationError {
        ConfigurationError(key: "config", "\(file) is not valid YAML: \(why)")
    }
}

/// Walks libyaml's events of one stream, building the values as they nest.
private struct YAMLDocumentReader {
    let events: [YAMLParser.MarkedEvent]
    let file: String
    private var position = 0

    init(events: [YAMLParser.MarkedEvent], file: String) {
        self.events = events
        self.file = file
    }

    /// The next event; the stream's end again once there are no more.
    private mutating func take() -> YAMLParser.MarkedEvent {
        guard position < events.count else { return (.streamEnd, events.last?.mark ?? YAMLParser.Mark(line: 1, column: 1)) }
        defer { position += 1 }
        return events[position]
    }

    mutating func document() throws(ConfigurationError) -> ConfigValue? {
        guard take().event == .documentStart else { return nil }
        let root = try value(take(), at: "config")
        _ = take()  // the document's end
        let after = take()
        if after.event == .documentStart {
            throw ConfigValue.notYAML(file, "\(after.mark): expected a single document in the stream but found another document")
        }
        return root
    }

    /// `key` is where the value sits, as the settings are named: `instance.region`.
    private mutating func value(_ start: YAMLParser.MarkedEvent, at key: String) throws(ConfigurationError) -> ConfigValue {
        switch start.event {
        case .scalar(let text):
            return .scalar(text)
        case .sequenceStart:
            var items: [ConfigValue] = []
            while true {
                let next = take()
                if next.event == .sequenceEnd || next.event == .streamEnd { return .list(items) }
                items.append(try value(next, at: key))
            }
        case .mappingStart:
            var members: [(key: String, value: ConfigValue)] = []
            var names = Set<String>()
            while true {
                let next = take()
                if next.event == .mappingEnd || next.event == .streamEnd { return .map(members) }
                let name: String
                switch next.event {
                case .scalar(let text): name = text
                case .alias: throw ConfigurationError(key: key, "uses a YAML alias; write the value out")
                default: throw ConfigurationError(key: key, "has a key that is not a plain name")
                }
                guard names.insert(name).inserted else {
                    throw ConfigValue.notYAML(file, "\(next.mark): the key '\(name)' appears twice in one mapping")
                }
                members.append((name, try value(take(), at: key == "config" ? name : "\(key).\(name)")))
            }
        case .alias:
            throw ConfigurationError(key: key, "uses a YAML alias; write the value out")
        case .documentStart, .documentEnd, .streamEnd, .sequenceEnd, .mappingEnd:
            // libyaml puts a node (an empty scalar at least) wherever a value is due.
            throw ConfigValue.notYAML(file, "\(start.mark): expected a value")
        }
    }
}
