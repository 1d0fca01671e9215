extension Configuration {
    /// The keys of the top level, in the order the README lists them. A flag `--NAME` and a
    /// YAML key `NAME` are the same setting.
    public static let keys = Setting.all.map(\.key)

    static let instanceKeys = [
        "account-id", "region", "availability-zone", "availability-zone-id", "instance-id", "instance-type",
        "ami-id", "architecture", "local-ipv4", "mac", "hostname", "security-groups", "reservation-id",
        "tags", "user-data", "pending-time", "instance-life-cycle", "auto-scaling-group", "interface-id",
        "subnet-id", "vpc-id", "subnet-ipv4-cidr-block", "vpc-ipv4-cidr-block", "security-group-ids", "public-ipv4",
        "public-hostname", "ipv6", "subnet-ipv6-cidr-block", "public-keys", "block-device-mapping", "metadata-tags",
        "network-interfaces",
    ]

    /// Applies `values` in order over the defaults: later entries win, which is how flags
    /// override the file. Cross-checks run once all are applied.
    public init(values: [(key: String, value: ConfigValue)]) throws(ConfigurationError) {
        self.init()
        var given = Set<String>()
        for (key, value) in values {
            try apply(key, value)
            given.insert(key)
        }
        // For the STS sources `credential-lifetime` is another name for `duration`.
        if source == .assumeRole || source == .static, !given.contains("duration"), given.contains("credential-lifetime") {
            sts.duration = credentialLifetime
        }
        sts.durationGiven = given.contains("duration") || given.contains("credential-lifetime")
        if source != .synthetic, !given.contains("credential-lifetime") {
            credentialLifetime = sts.duration
        }
        try crossCheck(given: given)
    }

    /// One setting, read by its entry in the table.
    private mutating func apply(_ key: String, _ value: ConfigValue) throws(ConfigurationError) {
        guard let setting = Setting.named(key) else {
            throw ConfigurationError(key: key, "unknown setting; valid: \(Self.keys.joined(separator: ", "))")
        }
        try setting.parse(&self, key, value)
    }

    private func crossCheck(given: Set<String>) throws(ConfigurationError) {
        // For the STS sources the lifetime is their `duration`, checked against STS's range below.
        let lifetimeIsOwn = source == .synthetic || source == .process || serveLongTermKeys
        if lifetimeIsOwn {
            guard credentialLifetime >= Seconds(2), credentialLifetime <= .hours(12) else {
                throw ConfigurationError(key: "credential-lifetime", "\(credentialLifetime) is out of range; valid: 2s..12h")
            }
        }
        guard rotation.every >= Seconds(1) else {
            throw ConfigurationError(key: "rotate-every", "\(rotation.every) is too short; valid: at least 1s")
        }
        guard rotation.before >= Seconds(1) else {
            throw ConfigurationError(key: "rotate-before", "\(rotation.before) is too short; valid: at least 1s")
        }
        switch source {
        case .synthetic:
            guard rotation.before < credentialLifetime else {
                throw ConfigurationError(key: "rotate-before", "\(rotation.before) must be shorter than credential-lifetime (\(credentialLifetime))")
            }
        case .assumeRole:
            guard sts.duration >= .minutes(15), sts.duration <= .hours(12) else {
                throw ConfigurationError(key: "duration", "\(sts.duration) is out of range for AssumeRole; valid: 15m..12h")
            }
            guard sts.roleArn != nil || sts.profile != nil else {
                throw ConfigurationError(key: "role-arn", "is required with --source assume-role (or a --profile that has role_arn)")
            }
        case .static:
            guard serveLongTermKeys || (sts.duration >= .minutes(15) && sts.duration <= .hours(36)) else {
                throw ConfigurationError(key: "duration", "\(sts.duration) is out of range for GetSessionToken; valid: 15m..36h")
            }
        case .process:
            _ = try processCommand()
        }
        if let admin = adminListen, listen.contains(where: { $0 == admin && $0.port != 0 }) {
            throw ConfigurationError(key: "admin-listen", "\(admin) is also an IMDS listen address; the control API needs a port of its own")
        }
        if let container = containerListen, container.port != 0,
           listen.contains(container) || adminListen == container {
            throw ConfigurationError(key: "container-listen", "\(container) is already used by another listener")
        }
        if containerAuthTokenFile != nil, containerListen == nil {
            throw ConfigurationError(key: "container-auth-token-file", "applies only with --container-listen")
        }
        if adminTokenFile != nil, adminListen == nil {
            throw ConfigurationError(key: "admin-token-file", "applies only with --admin-listen")
        }
        if sts.mfaSerial != nil, sts.mfaCommand == nil {
            throw ConfigurationError(key: "mfa-command", "is required with --mfa-serial: the emulator refreshes unattended")
        }
        for key in ["role-arn", "external-id", "session-name", "mfa-serial", "mfa-command", "sts-endpoint", "sts-region", "duration", "profile"]
        where given.contains(key) && (source == .synthetic || source == .process) {
            throw ConfigurationError(key: key, "applies to --source assume-role or static, not \(source.rawValue)")
        }
        for key in ["credential-process", "credential-process-timeout"] where given.contains(key) && source != .process {
            throw ConfigurationError(key: key, "applies to --source process, not \(source.rawValue)")
        }
        if serveLongTermKeys, source != .static {
            throw ConfigurationError(key: "serve-long-term-keys", "applies to --source static, not \(source.rawValue)")
        }
        if (identityKey == nil) != (identityCert == nil) {
            throw ConfigurationError(key: identityKey == nil ? "identity-key" : "identity-cert",
                                     "goes with \(identityKey == nil ? "identity-cert" : "identity-key"); give both or neither")
        }
        try service.instance.check()
        try checkEvents()
    }

    /// `http://127.x.x.x…`, `http://[::1]…` or `http://localhost…`.
    public static func isLoopbackURL(_ url: String) -> Bool {
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@").last ?? authority
        let host: Substring
        if hostAndPort.hasPrefix("[") {
            host = hostAndPort.dropFirst().prefix { $0 != "]" }
        } else {
            host = hostAndPort.prefix { $0 != ":" }
        }
        return ListenAddress(host: String(host).lowercased(), port: 0).isLoopback
    }

    /// The `credential_process` command, which `--source process` cannot do without.
    public func processCommand() throws(ConfigurationError) -> String {
        guard let credentialProcess else {
            throw ConfigurationError(key: "credential-process", "is required with --source process")
        }
        return credentialProcess
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

func enabled(_ key: String, _ value: ConfigValue) throws(ConfigurationError) -> Bool {
    switch try scalar(key, value) {
    case "enabled": return true
    case "disabled": return false
    case let other: throw ConfigurationError(key: key, "\"\(other)\" is not valid; valid: enabled, disabled")
    }
}

func boolean(_ key: String, _ value: ConfigValue) throws(ConfigurationError) -> Bool {
    switch try scalar(key, value) {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    case let other: throw ConfigurationError(key: key, "\"\(other)\" is not valid; valid: true, false")
    }
}

func matching(_ key: String, _ value: ConfigValue, _ shape: ValueShape, _ valid: String) throws(ConfigurationError) -> String {
    let text = try scalar(key, value)
    guard shape.matches(text) else {
        throw ConfigurationError(key: key, "\"\(text)\" is not valid; valid: \(valid)")
    }
    return text
}

/// One `HOST:PORT` listener address; `example` is the port the error message suggests.
func address(_ key: String, _ value: ConfigValue, example: Int) throws(ConfigurationError) -> ListenAddress {
    let text = try scalar(key, value)
    guard let address = ListenAddress(text) else {
        throw ConfigurationError(key: key, "\"\(text)\" is not HOST:PORT; valid: 127.0.0.1:\(example), [::1]:\(example)")
    }
    return address
}

func integer(_ key: String, _ value: ConfigValue, _ range: ClosedRange<Int>, _ note: String = "") throws(ConfigurationError) -> Int {
    let text = try scalar(key, value)
    guard let n = Int(text), range.contains(n) else {
        let valid = "an integer \(range.lowerBound)..\(range.upperBound)" + (note.isEmpty ? "" : " \(note)")
        throw ConfigurationError(key: key, "\"\(text)\" is out of range; valid: \(valid)")
    }
    return n
}

func duration(_ key: String, _ value: ConfigValue, _ range: ClosedRange<Seconds>, _ valid: String) throws(ConfigurationError) -> Seconds {
    let d = try duration(key, value)
    guard range.contains(d) else {
        throw ConfigurationError(key: key, "\(d) is out of range; valid: \(valid)")
    }
    return d
}

func duration(_ key: String, _ value: ConfigValue) throws(ConfigurationError) -> Seconds {
    let text = try scalar(key, value)
    guard let d = DurationFormat.parse(text) else {
        throw ConfigurationError(key: key, "\"\(text)\" is not a duration; valid: a number with a unit, e.g. 90s, 15m, 6h, 1h30m")
    }
    guard d <= DurationFormat.maximum else {
        throw ConfigurationError(key: key, "\"\(text)\" is too long; valid: at most 3650d")
    }
    return d
}
