import CredentialSources
import FoundationEssentials
import IMDSCore

/// Turns the checked configuration into the credential source it names, reading the shared
/// AWS files and the environment the way the SDKs do. Everything that can be wrong with them
/// is a configuration error, reported before the emulator listens.
enum SourceFactory {
    struct Built {
        var source: any CredentialSource
        /// The account the credentials belong to, when the source knows it (a role ARN).
        var accountId: String?
        /// The role assumed, when the source assumes one.
        var roleArn: String? = nil
        /// One line for the start-up log: what is assumed, with which keys. No secrets.
        var summary: String
    }

    static func make(_ c: Configuration, environment: [String: String]) throws(ConfigurationError) -> Built {
        switch c.source {
        case .synthetic:
            return Built(source: SyntheticCredentials(lifetime: c.credentialLifetime, random: .system), accountId: nil,
                         summary: "synthetic credentials, lifetime \(c.credentialLifetime)")
        case .process:
            return Built(source: ProcessSource(command: try c.processCommand(), lifetimeWithoutExpiration: c.credentialLifetime,
                                               timeout: c.credentialProcessTimeout.value),
                         accountId: nil, summary: "credential_process command")
        case .assumeRole:
            let found = try SourceCredentials.resolve(profile: c.sts.profile, environment: environment)
            guard let roleArn = c.sts.roleArn ?? found.roleArn else {
                throw ConfigurationError(key: "role-arn", "is required with --source assume-role; \(found.origin) names no role_arn")
            }
            let mfaSerial = c.sts.mfaSerial ?? found.mfaSerial
            if mfaSerial != nil, c.sts.mfaCommand == nil {
                throw ConfigurationError(key: "mfa-command", "is required: \(found.origin) has mfa_serial and the emulator refreshes unattended")
            }
            let duration = c.sts.durationGiven ? c.sts.duration : (found.duration ?? c.sts.duration)
            let sessionName = c.sts.sessionName ?? found.roleSessionName ?? defaultSessionName()
            let source = AssumeRoleSource(client: try client(c, found), keys: found.keys, roleArn: roleArn,
                                          sessionName: sessionName, duration: duration,
                                          externalId: c.sts.externalId ?? found.externalId,
                                          mfaSerial: mfaSerial, mfaCommand: c.sts.mfaCommand)
            return Built(source: source, accountId: STSSettings.account(ofRoleArn: roleArn), roleArn: roleArn,
                         summary: "AssumeRole \(roleArn) as \(sessionName) for \(duration), keys \(found.keys.accessKeyId) from \(found.origin)")
        case .static:
            let found = try SourceCredentials.resolve(profile: c.sts.profile, environment: environment)
            let source = StaticSource(client: try client(c, found), keys: found.keys, duration: c.sts.duration,
                                      serveAsIs: c.serveLongTermKeys, announcedLifetime: c.credentialLifetime,
                                      mfaSerial: c.sts.mfaSerial ?? found.mfaSerial, mfaCommand: c.sts.mfaCommand)
            let how = c.serveLongTermKeys ? "served as they are" : "exchanged with GetSessionToken for \(c.sts.duration)"
            return Built(source: source, accountId: nil, summary: "keys \(found.keys.accessKeyId) from \(found.origin), \(how)")
        }
    }

    private static func client(_ c: Configuration, _ found: SourceCredentials) throws(ConfigurationError) -> STSClient {
        let region = c.sts.region ?? found.region ?? "us-east-1"
        let endpoint: URL?
        if let text = c.sts.endpoint {
            endpoint = URL(string: text)
        } else {
            endpoint = STSClient.defaultEndpoint(region: region)
        }
        guard let endpoint, endpoint.host != nil else {
            throw ConfigurationError(key: "sts-endpoint", "\"\(c.sts.endpoint ?? region)\" does not make an STS URL")
        }
        return STSClient(endpoint: endpoint, region: region)
    }

    /// `imds-emulator-HOST`, cut to STS's 64 characters of `[\w+=,.@-]`.
    static func defaultSessionName() -> String {
        let host = ProcessInfo.processInfo.hostName
        let cleaned = String(host.map { $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) ? $0 : "-" })
        return String(("imds-emulator-" + cleaned).prefix(64))
    }
}
