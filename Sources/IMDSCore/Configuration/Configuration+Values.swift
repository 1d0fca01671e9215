import Foundation

extension Configuration {
    /// The keys of the top level, in the order the README lists them. A flag `--NAME` and a
    /// YAML key `NAME` are the same setting.
    public static let keys = [
        "listen", "role", "source", "credential-lifetime", "rotate-every", "rotate-before", "imdsv1",
        "hop-limit", "access-log", "state-dir", "log-level", "instance",
    ]

    static let instanceKeys = [
        "account-id", "region", "availability-zone", "availability-zone-id", "instance-id", "instance-type",
        "ami-id", "architecture", "local-ipv4", "mac", "hostname", "security-groups", "reservation-id",
        "tags", "user-data", "pending-time",
    ]

    /// Applies `values` in order over the defaults: later entries win, which is how flags
    /// override the file. Cross-checks run once all are applied.
    public init(values: [(key: String, value: ConfigValue)]) throws(ConfigurationError) {
        self.init()
        for (key, value) in values {
            try apply(key, value)
        }
        try crossCheck()
    }

    private mutating func apply(_ key: String, _ value: ConfigValue) throws(ConfigurationError) {
        switch key {
        case "listen":
            let items: [ConfigValue]
            if case .list(let l) = value { items = l } else { items = [value] }
            guard !items.isEmpty else { throw ConfigurationError(key: key, "needs at least one HOST:PORT") }
            var addresses: [ListenAddress] = []
            for item in items {
                let text = try scalar(key, item)
                guard let address = ListenAddress(text) else {
                    throw ConfigurationError(key: key, "\"\(text)\" is not HOST:PORT; valid: 127.0.0.1:9254, [::1]:9254, 0.0.0.0:80 (port 0-65535)")
                }
                addresses.append(address)
            }
            listen = addresses
        case "role":
            let name = try scalar(key, value)
            guard Self.isRoleName(name) else {
                throw ConfigurationError(key: key, "\"\(name)\" is not a role name; valid: 1-64 characters of letters, digits and +=,.@_-")
            }
            service.role = name
        case "source":
            let name = try scalar(key, value)
            guard let s = Source(rawValue: name) else {
                let valid = Source.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(key: key, "\"\(name)\" is not a credential source of this build; valid: \(valid)")
            }
            source = s
        case "credential-lifetime":
            credentialLifetime = try duration(key, value)
        case "rotate-every":
            rotation.every = try duration(key, value)
        case "rotate-before":
            rotation.before = try duration(key, value)
        case "imdsv1":
            switch try scalar(key, value) {
            case "enabled": service.imdsv1Enabled = true
            case "disabled": service.imdsv1Enabled = false
            case let other: throw ConfigurationError(key: key, "\"\(other)\" is not valid; valid: enabled, disabled")
            }
        case "hop-limit":
            let text = try scalar(key, value)
            guard let n = Int(text), (1...64).contains(n) else {
                throw ConfigurationError(key: key, "\"\(text)\" is out of range; valid: an integer 1..64")
            }
            service.hopLimit = n
        case "access-log":
            let text = try scalar(key, value)
            switch text {
            case "-": accessLog = .stdout
            case "off": accessLog = .off
            case "": throw ConfigurationError(key: key, "is empty; valid: a file path, - (stdout) or off")
            default: accessLog = .file(text)
            }
        case "state-dir":
            let text = try scalar(key, value)
            guard !text.isEmpty else { throw ConfigurationError(key: key, "is empty; valid: a directory path") }
            stateDirectory = text
        case "log-level":
            let text = try scalar(key, value)
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(text) else {
                throw ConfigurationError(key: key, "\"\(text)\" is not valid; valid: \(levels.joined(separator: ", "))")
            }
            logLevel = text
        case "instance":
            guard case .map(let members) = value else {
                throw ConfigurationError(key: key, "must be a mapping of instance facts, not \(value.kindName)")
            }
            for (member, memberValue) in members {
                try service.instance.apply("instance.\(member)", member, memberValue)
            }
        default:
            throw ConfigurationError(key: key, "unknown setting; valid: \(Self.keys.joined(separator: ", "))")
        }
    }

    private func crossCheck() throws(ConfigurationError) {
        guard credentialLifetime >= Seconds(2), credentialLifetime <= .hours(12) else {
            throw ConfigurationError(key: "credential-lifetime", "\(credentialLifetime) is out of range; valid: 2s..12h")
        }
        guard rotation.every >= Seconds(1) else {
            throw ConfigurationError(key: "rotate-every", "\(rotation.every) is too short; valid: at least 1s")
        }
        guard rotation.before >= Seconds(1), rotation.before < credentialLifetime else {
            throw ConfigurationError(key: "rotate-before", "\(rotation.before) must be at least 1s and shorter than credential-lifetime (\(credentialLifetime))")
        }
        let az = service.instance.resolvedAvailabilityZone
        guard az.count == service.instance.region.count + 1, az.hasPrefix(service.instance.region),
              let letter = az.last, letter.isASCII, letter.isLowercase else {
            throw ConfigurationError(key: "instance.availability-zone", "\"\(az)\" is not in region \(service.instance.region); valid: the region followed by one letter, e.g. \(service.instance.region)a")
        }
    }

    static func isRoleName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) }
    }
}

func scalar(_ key: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
    guard case .scalar(let s) = value else {
        throw ConfigurationError(key: key, "must be a single value, not \(value.kindName)")
    }
    return s
}

private func duration(_ key: String, _ value: ConfigValue) throws(ConfigurationError) -> Seconds {
    let text = try scalar(key, value)
    guard let d = DurationFormat.parse(text) else {
        throw ConfigurationError(key: key, "\"\(text)\" is not a duration; valid: a number with a unit, e.g. 90s, 15m, 6h, 1h30m")
    }
    return d
}
