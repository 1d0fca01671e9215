import Foundation

/// Every setting of `serve` once: its key (the flag `--KEY`, the YAML key `KEY`, the
/// variable `IMDS_EMULATOR_KEY`), what it does, the shape of its value and its default, read
/// from `Configuration()` wherever the default is a value, so that help text and README can
/// never disagree with what the code does. `Configuration.keys` comes from here, and a test
/// checks the flags, the README's flag list and the parser against it.
public struct Setting: Sendable {
    public let key: String
    public let help: String
    /// What the value looks like in help (`duration`, `host:port`); nil for a switch.
    public let valueName: String?
    private let defaultText: (@Sendable (Configuration) -> String)?

    init(_ key: String, _ help: String, valueName: String?, default defaultText: (@Sendable (Configuration) -> String)?) {
        self.key = key
        self.help = help
        self.valueName = valueName
        self.defaultText = defaultText
    }

    /// The default as help shows it; nil when there is none.
    public var defaultValue: String? { defaultText.map { $0(Configuration()) } }

    /// `--hop-limit` → `IMDS_EMULATOR_HOP_LIMIT`.
    public var environmentName: String { Self.environmentName(for: key) }

    public static func environmentName(for key: String) -> String {
        "IMDS_EMULATOR_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The help line: what it does, then its default.
    public var helpText: String { help + (defaultValue.map { " (default: \($0))" } ?? "") }

    public static func named(_ key: String) -> Setting? { all.first { $0.key == key } }

    public static let all: [Setting] = [
        Setting("listen", "Address to listen on; repeatable. IPv6 as [::1]:9254.", valueName: "host:port", default: { c in c.listen.map(\.description).joined(separator: ", ") }),
        Setting("role", "Role served under iam/security-credentials/.", valueName: "name", default: { c in c.service.role }),
        Setting("source", "Where credentials come from.", valueName: "synthetic|assume-role|process|static", default: { c in c.source.rawValue }),
        Setting("credential-lifetime", "Lifetime of each credential set.", valueName: "duration", default: { c in "\(c.credentialLifetime)" }),
        Setting("rotate-every", "Publish a new set at least this often.", valueName: "duration", default: { c in "\(c.rotation.every)" }),
        Setting("rotate-before", "And at least this long before the current set expires.", valueName: "duration", default: { c in "\(c.rotation.before)" }),
        Setting("imdsv1", "Serve tokenless GETs (IMDSv1).", valueName: "enabled|disabled", default: { c in c.service.imdsv1Enabled ? "enabled" : "disabled" }),
        Setting("hop-limit", "IP TTL / hop limit of token PUT replies, 1..64.", valueName: "n", default: { c in String(c.service.hopLimit) }),
        Setting("access-log", "JSON lines, one per request: a file, - for stdout, or off.", valueName: "path|-|off", default: { _ in "-" }),
        Setting("state-dir", "Keeps the token key, so that restarts accept live tokens, and the identity-document signing key.", valueName: "dir", default: nil),
        Setting("role-arn", "assume-role: the role to assume.", valueName: "arn", default: nil),
        Setting("external-id", "assume-role: ExternalId the role's trust policy asks for.", valueName: "id", default: nil),
        Setting("session-name", "assume-role: RoleSessionName.", valueName: "name", default: { _ in "imds-emulator-HOST" }),
        Setting("duration", "assume-role: session length, 15m..12h; static: GetSessionToken length, 15m..36h.", valueName: "duration", default: { c in "\(c.sts.duration)" }),
        Setting("sts-region", "Region of the STS endpoint.", valueName: "region", default: { _ in "the profile's region, else us-east-1" }),
        Setting("sts-endpoint", "STS URL, e.g. a VPC endpoint or moto.", valueName: "url", default: { _ in "https://sts.REGION.amazonaws.com/" }),
        Setting("profile", "Profile of the shared config files holding the source keys (and possibly role_arn).", valueName: "name", default: nil),
        Setting("mfa-serial", "MFA device for AssumeRole / GetSessionToken.", valueName: "arn", default: nil),
        Setting("mfa-command", "Shell command that prints the current MFA code.", valueName: "cmd", default: nil),
        Setting("credential-process", "process: shell command printing credential_process JSON.", valueName: "cmd", default: nil),
        Setting("credential-process-timeout", "process: time the command may take; then its whole process group is killed.", valueName: "duration", default: { c in "\(c.credentialProcessTimeout)" }),
        Setting("serve-long-term-keys", "static: serve the keys as they are instead of a GetSessionToken session.", valueName: nil, default: nil),
        Setting("lazy", "Listen at once and fetch the first set in the background.", valueName: nil, default: nil),
        Setting("admin-listen", "Address of the control API (docs/control-api.md); off unless given.", valueName: "host:port", default: nil),
        Setting("admin-token-file", "Bearer token of the control API; created (mode 0600) if missing.", valueName: "file", default: nil),
        Setting("require-host", "Refuse requests whose Host is not an address of the emulator.", valueName: "enabled|disabled", default: { _ in "enabled on each loopback listener, off on the others" }),
        Setting("allow-host", "Another Host name to accept; repeatable.", valueName: "name", default: nil),
        Setting("container-listen", "Address of the ECS/EKS-style container credentials endpoint; off unless given.", valueName: "host:port", default: nil),
        Setting("container-auth-token-file", "Authorization value the container endpoint requires; re-read when it changes.", valueName: "file", default: nil),
        Setting("throttle-rps", "Requests per second per client before 429; 0 is off.", valueName: "n", default: { c in String(c.service.throttleRPS) }),
        Setting("extended-api", "Serve iam/security-credentials-extended/ with AccountId.", valueName: "enabled|disabled", default: { _ in "disabled, 404 as on most instances" }),
        Setting("max-connections", "Open connections per listener; past it new ones get 503 and are closed.", valueName: "n", default: { c in String(c.limits.maxConnections) }),
        Setting("max-connections-per-client", "Open connections one client address may hold; past it 503.", valueName: "n", default: { c in String(c.limits.maxConnectionsPerClient) }),
        Setting("max-header-bytes", "Request line and headers together; 400 past it.", valueName: "n", default: { c in String(c.limits.maxHeaderBytes) }),
        Setting("max-headers", "Header lines per request; 431 past it.", valueName: "n", default: { c in String(c.limits.maxHeaders) }),
        Setting("max-request-line", "Bytes of the request line; 414 past it.", valueName: "n", default: { c in String(c.limits.maxRequestLine) }),
        Setting("max-body-bytes", "Request body; 413 past it.", valueName: "n", default: { c in String(c.limits.maxBodyBytes) }),
        Setting("read-timeout", "Time allowed for a whole request to arrive.", valueName: "duration", default: { c in "\(c.limits.readTimeout)" }),
        Setting("write-timeout", "Stall allowed while an answer is sent.", valueName: "duration", default: { c in "\(c.limits.writeTimeout)" }),
        Setting("identity-key", "PEM RSA key that signs the identity document (pkcs7, signature, rsa2048); with --identity-cert.", valueName: "file", default: { _ in "made at start, kept in --state-dir" }),
        Setting("identity-cert", "PEM certificate of --identity-key, for verifiers.", valueName: "file", default: nil),
        Setting("log-level", "Diagnostics on stderr: debug, info, warning, error.", valueName: "level", default: { c in c.logLevel }),
        Setting("instance", "The emulated instance's facts (file only; README, Simulating an instance).", valueName: nil, default: nil),
        Setting("events", "Instance events from the start (file only).", valueName: nil, default: nil),
    ]
}
