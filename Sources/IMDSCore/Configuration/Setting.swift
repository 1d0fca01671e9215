/// Every setting of `serve` once: its key (the flag `--KEY`, the YAML key `KEY`, the
/// variable `IMDS_EMULATOR_KEY`), what it does, the shape of its value, its default (read from
/// `Configuration()` wherever it is a value, so help and README cannot disagree with the code)
/// and the reader that checks a value and puts it into the configuration. `Configuration.keys`
/// and its parsing come from here; a test checks the flags and the README's flag list.
public struct Setting: Sendable {
    public let key: String
    public let help: String
    /// What the value looks like in help (`duration`, `host:port`); nil for a switch.
    public let valueName: String?
    private let defaultText: (@Sendable (Configuration) -> String)?
    /// Checks a value given under `key` (the setting's own key, or the environment variable's
    /// name in messages) and stores it.
    let parse: @Sendable (inout Configuration, String, ConfigValue) throws(ConfigurationError) -> Void

    init(_ key: String, _ help: String, valueName: String?, default defaultText: (@Sendable (Configuration) -> String)?,
         parse: @escaping @Sendable (inout Configuration, String, ConfigValue) throws(ConfigurationError) -> Void) {
        self.key = key
        self.help = help
        self.valueName = valueName
        self.defaultText = defaultText
        self.parse = parse
    }

    /// The default as help shows it; nil when there is none.
    public var defaultValue: String? { defaultText.map { $0(Configuration()) } }

    /// `--hop-limit` → `IMDS_EMULATOR_HOP_LIMIT`.
    public var environmentName: String { Self.environmentName(for: key) }

    public static func environmentName(for key: String) -> String {
        "IMDS_EMULATOR_" + key.uppercased().replacingEvery("-", with: "_")
    }

    /// The help line, what it does then its default, with the defaults read from `defaults`:
    /// help for every flag made from one `Configuration()` rather than one each.
    public func helpText(defaults: Configuration) -> String {
        help + (defaultText.map { " (default: \($0(defaults)))" } ?? "")
    }

    public static func named(_ key: String) -> Setting? { all.first { $0.key == key } }

    /// A whole number in `range`, kept at `path`, whose default is what `Configuration()` has there.
    static func whole(_ key: String, _ help: String, _ path: WritableKeyPath<Configuration, Int> & Sendable,
                      _ range: ClosedRange<Int>, note: String = "") -> Setting {
        Setting(key, help, valueName: "n", default: { c in String(c[keyPath: path]) }, parse: { c, key, value throws(ConfigurationError) in
            c[keyPath: path] = try integer(key, value, range, note)
        })
    }

    /// A duration (`90s`, `6h`), within `range` when one is given, kept at `path`.
    static func span(_ key: String, _ help: String, _ path: WritableKeyPath<Configuration, Seconds> & Sendable,
                     _ range: ClosedRange<Seconds>? = nil, valid: String = "") -> Setting {
        Setting(key, help, valueName: "duration", default: { c in "\(c[keyPath: path])" }, parse: { c, key, value throws(ConfigurationError) in
            if let range {
                c[keyPath: path] = try duration(key, value, range, valid)
            } else {
                c[keyPath: path] = try duration(key, value)
            }
        })
    }

    public static let all: [Setting] = [
        Setting("listen", "Address to listen on; repeatable. IPv6 as [::1]:9254.", valueName: "host:port", default: { c in c.listen.map(\.description).joined(separator: ", ") }, parse: { c, key, value throws(ConfigurationError) in
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
            c.listen = addresses
        }),
        Setting("role", "Role served under iam/security-credentials/.", valueName: "name", default: { c in c.service.role }, parse: { c, key, value throws(ConfigurationError) in
            let name = try scalar(key, value)
            guard Configuration.isRoleName(name) else {
                throw ConfigurationError(key: key, "\"\(name)\" is not a role name; valid: 1-64 characters of letters, digits and +=,.@_-")
            }
            c.service.role = name
        }),
        Setting("source", "Where credentials come from.", valueName: "synthetic|assume-role|process|static", default: { c in c.source.rawValue }, parse: { c, key, value throws(ConfigurationError) in
            let name = try scalar(key, value)
            guard let s = Configuration.Source(rawValue: name) else {
                let valid = Configuration.Source.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(key: key, "\"\(name)\" is not a credential source of this build; valid: \(valid)")
            }
            c.source = s
        }),
        .span("credential-lifetime", "Lifetime of each credential set.", \.credentialLifetime),
        .span("rotate-every", "Publish a new set at least this often.", \.rotation.every),
        .span("rotate-before", "And at least this long before the current set expires.", \.rotation.before),
        Setting("imdsv1", "Serve tokenless GETs (IMDSv1).", valueName: "enabled|disabled", default: { c in c.service.imdsv1Enabled ? "enabled" : "disabled" }, parse: { c, key, value throws(ConfigurationError) in
            c.service.imdsv1Enabled = try enabled(key, value)
        }),
        .whole("hop-limit", "IP TTL / hop limit of token PUT replies, 1..64.", \.service.hopLimit, 1...64),
        Setting("access-log", "JSON lines, one per request: a file, - for stdout, or off.", valueName: "path|-|off", default: { _ in "-" }, parse: { c, key, value throws(ConfigurationError) in
            let text = try scalar(key, value)
            switch text {
            case "-": c.accessLog = .stdout
            case "off": c.accessLog = .off
            case "": throw ConfigurationError(key: key, "is empty; valid: a file path, - (stdout) or off")
            default: c.accessLog = .file(text)
            }
        }),
        Setting("state-dir", "Keeps the token key, so that restarts accept live tokens, and the identity-document signing key.", valueName: "dir", default: nil, parse: { c, key, value throws(ConfigurationError) in
            let text = try scalar(key, value)
            guard !text.isEmpty else { throw ConfigurationError(key: key, "is empty; valid: a directory path") }
            c.stateDirectory = text
        }),
        Setting("role-arn", "assume-role: the role to assume.", valueName: "arn", default: nil, parse: { c, key, value throws(ConfigurationError) in
            let arn = try scalar(key, value)
            guard STSSettings.isRoleArn(arn) else {
                throw ConfigurationError(key: key, "\"\(arn)\" is not a role ARN; valid: arn:aws:iam::123456789012:role/NAME")
            }
            c.sts.roleArn = arn
        }),
        Setting("external-id", "assume-role: ExternalId the role's trust policy asks for.", valueName: "id", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.sts.externalId = try matching(key, value, .externalId, "2-1224 characters of letters, digits and +=,.@:/_-")
        }),
        Setting("session-name", "assume-role: RoleSessionName.", valueName: "name", default: { _ in "imds-emulator-HOST" }, parse: { c, key, value throws(ConfigurationError) in
            c.sts.sessionName = try matching(key, value, .sessionName, "2-64 characters of letters, digits and +=,.@_-")
        }),
        .span("duration", "assume-role: session length, 15m..12h; static: GetSessionToken length, 15m..36h.", \.sts.duration),
        Setting("sts-region", "Region of the STS endpoint.", valueName: "region", default: { _ in "the profile's region, else us-east-1" }, parse: { c, key, value throws(ConfigurationError) in
            c.sts.region = try matching(key, value, .region, "a region name such as us-east-1")
        }),
        Setting("sts-endpoint", "STS URL, e.g. a VPC endpoint or moto.", valueName: "url", default: { _ in "https://sts.REGION.amazonaws.com/" }, parse: { c, key, value throws(ConfigurationError) in
            let url = try matching(key, value, .endpointURL, "an https:// URL")
            // The request carries a SigV4 signature over the source keys: plain HTTP only
            // where nobody can listen in, on this host (moto, LocalStack in tests).
            if url.hasPrefix("http://"), !Configuration.isLoopbackURL(url) {
                throw ConfigurationError(key: key, "\"\(url)\" is plain http to another host; valid: an https:// URL (http:// only to 127.0.0.1, [::1] or localhost)")
            }
            c.sts.endpoint = url
        }),
        Setting("profile", "Profile of the shared config files holding the source keys (and possibly role_arn).", valueName: "name", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.sts.profile = try matching(key, value, .profile, "a profile name of the shared config files")
        }),
        Setting("mfa-serial", "MFA device for AssumeRole / GetSessionToken.", valueName: "arn", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.sts.mfaSerial = try matching(key, value, .mfaSerial, "an MFA device ARN or serial number")
        }),
        Setting("mfa-command", "Shell command that prints the current MFA code.", valueName: "cmd", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.sts.mfaCommand = try matching(key, value, .nonBlankLine, "a shell command that prints the MFA code")
        }),
        Setting("credential-process", "process: shell command printing credential_process JSON.", valueName: "cmd", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.credentialProcess = try matching(key, value, .nonBlankLine, "a shell command that prints credential_process JSON")
        }),
        .span("credential-process-timeout", "process: time the command may take; then its whole process group is killed.", \.credentialProcessTimeout, Seconds(1)...Seconds.minutes(10), valid: "1s..10m"),
        Setting("serve-long-term-keys", "static: serve the keys as they are instead of a GetSessionToken session.", valueName: nil, default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.serveLongTermKeys = try boolean(key, value)
        }),
        Setting("lazy", "Listen at once and fetch the first set in the background.", valueName: nil, default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.lazy = try boolean(key, value)
        }),
        Setting("admin-listen", "Address of the control API (docs/control-api.md); off unless given.", valueName: "host:port", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.adminListen = try address(key, value, example: 9255)
        }),
        Setting("admin-token-file", "Bearer token of the control API; created (mode 0600) if missing.", valueName: "file", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.adminTokenFile = try matching(key, value, .nonBlankLine, "a file path")
        }),
        Setting("require-host", "Refuse requests whose Host is not an address of the emulator.", valueName: "enabled|disabled", default: { _ in "enabled on each loopback listener, off on the others" }, parse: { c, key, value throws(ConfigurationError) in
            c.requireHost = try enabled(key, value)
        }),
        Setting("allow-host", "Another Host name to accept; repeatable.", valueName: "name", default: nil, parse: { c, key, value throws(ConfigurationError) in
            let items: [ConfigValue]
            if case .list(let l) = value { items = l } else { items = [value] }
            var hosts: [String] = []
            for item in items {
                hosts.append(try matching(key, item, .hostName, "a host name or address, IPv6 in brackets"))
            }
            c.allowHosts += hosts
        }),
        Setting("container-listen", "Address of the ECS/EKS-style container credentials endpoint; off unless given.", valueName: "host:port", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.containerListen = try address(key, value, example: 9256)
        }),
        Setting("container-auth-token-file", "Authorization value the container endpoint requires; re-read when it changes.", valueName: "file", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.containerAuthTokenFile = try matching(key, value, .nonBlankLine, "a file path")
        }),
        .whole("throttle-rps", "Requests per second per client before 429; 0 is off.", \.service.throttleRPS, 0...100_000, note: "(0 = off)"),
        Setting("extended-api", "Serve iam/security-credentials-extended/ with AccountId.", valueName: "enabled|disabled", default: { _ in "disabled, 404 as on most instances" }, parse: { c, key, value throws(ConfigurationError) in
            c.service.extendedAPI = try enabled(key, value)
        }),
        .whole("max-connections", "Open connections per listener; past it new ones get 503 and are closed.", \.limits.maxConnections, 1...1_000_000),
        Setting("max-connections-per-client", "Open connections one client address may hold; past it 503.", valueName: "n",
                default: { _ in "three quarters of max-connections" }, parse: { c, key, value throws(ConfigurationError) in
            c.limits.maxConnectionsPerClient = try integer(key, value, 1...1_000_000)
        }),
        .whole("max-header-bytes", "Request line and headers together; 400 past it.", \.limits.maxHeaderBytes, 256...1_048_576),
        .whole("max-headers", "Header lines per request; 431 past it.", \.limits.maxHeaders, 1...10_000),
        .whole("max-request-line", "Bytes of the request line; 414 past it.", \.limits.maxRequestLine, 64...1_048_576),
        .whole("max-body-bytes", "Request body; 413 past it.", \.limits.maxBodyBytes, 0...16_777_216),
        .span("read-timeout", "Time allowed for a whole request to arrive.", \.limits.readTimeout, Seconds(0.01)...Seconds.hours(1), valid: "10ms..1h"),
        .span("write-timeout", "Stall allowed while an answer is sent.", \.limits.writeTimeout, Seconds(0.01)...Seconds.hours(1), valid: "10ms..1h"),
        Setting("identity-key", "PEM RSA key that signs the identity document (pkcs7, signature, rsa2048); with --identity-cert.", valueName: "file", default: { _ in "made at start, kept in --state-dir" }, parse: { c, key, value throws(ConfigurationError) in
            c.identityKey = try matching(key, value, .nonBlankLine, "a file path")
        }),
        Setting("identity-cert", "PEM certificate of --identity-key, for verifiers.", valueName: "file", default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.identityCert = try matching(key, value, .nonBlankLine, "a file path")
        }),
        Setting("log-level", "Diagnostics on stderr: debug, info, warning, error.", valueName: "level", default: { c in c.logLevel }, parse: { c, key, value throws(ConfigurationError) in
            let text = try scalar(key, value)
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(text) else {
                throw ConfigurationError(key: key, "\"\(text)\" is not valid; valid: \(levels.joined(separator: ", "))")
            }
            c.logLevel = text
        }),
        Setting("instance", "The emulated instance's facts (file only; README, Simulating an instance).", valueName: nil, default: nil, parse: { c, key, value throws(ConfigurationError) in
            guard case .map(let members) = value else {
                throw ConfigurationError(key: key, "must be a mapping of instance facts, not \(value.kindName)")
            }
            for (member, memberValue) in members {
                try c.service.instance.apply("instance.\(member)", member, memberValue)
            }
        }),
        Setting("events", "Instance events from the start (file only).", valueName: nil, default: nil, parse: { c, key, value throws(ConfigurationError) in
            c.events = try Configuration.eventSpecs(value)
        }),
    ]
}
