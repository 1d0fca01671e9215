import FoundationEssentials
import IMDSCore

/// The keys an STS source signs with, and the role settings a profile may carry, found where
/// the SDKs look: a named profile, the environment, `AWS_PROFILE`, then the default profile.
public struct SourceCredentials: Sendable, Equatable {
    public var keys: AWSKeys
    /// Where the keys came from, for the start-up line (`environment`, `profile dev`).
    public var origin: String
    public var roleArn: String?
    public var roleSessionName: String?
    public var externalId: String?
    public var mfaSerial: String?
    public var duration: Seconds?
    public var region: String?

    public static func resolve(profile: String?, environment: [String: String]) throws(ConfigurationError) -> SourceCredentials {
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let files = ProfileFiles(
            credentials: try SharedConfigFile.load(credentialsPath, setting: environment["AWS_SHARED_CREDENTIALS_FILE"] == nil ? "profile" : "AWS_SHARED_CREDENTIALS_FILE"),
            config: try SharedConfigFile.load(configPath, setting: environment["AWS_CONFIG_FILE"] == nil ? "profile" : "AWS_CONFIG_FILE"),
            paths: "\(credentialsPath) or \(configPath)")

        if let profile {
            return try files.resolve(profile, key: "profile", environment: environment)
        }
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !id.isEmpty, !secret.isEmpty {
            return SourceCredentials(keys: AWSKeys(accessKeyId: id, secretAccessKey: secret,
                                                   sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }),
                                     origin: "environment")
        }
        if let named = environment["AWS_PROFILE"], !named.isEmpty {
            return try files.resolve(named, key: "AWS_PROFILE", environment: environment)
        }
        if files.has("default") {
            return try files.resolve("default", key: "profile", environment: environment)
        }
        throw ConfigurationError(key: "AWS_ACCESS_KEY_ID",
                                 "no source credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --profile NAME")
    }
}

private struct ProfileFiles {
    var credentials: SharedConfigFile
    var config: SharedConfigFile
    var paths: String

    func has(_ name: String) -> Bool { settings(name) != nil }

    /// A profile's settings: the config file's `[profile NAME]` (or `[default]`) under the
    /// credentials file's `[NAME]`, which wins for keys, as in the SDKs.
    func settings(_ name: String) -> [String: String]? {
        let fromConfig = config.sections[name == "default" ? "default" : "profile \(name)"]
        let fromCredentials = credentials.sections[name]
        guard fromConfig != nil || fromCredentials != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentialsValue in credentialsValue }
    }

    func resolve(_ name: String, key: String, environment: [String: String]) throws(ConfigurationError) -> SourceCredentials {
        guard let s = settings(name) else {
            throw ConfigurationError(key: key, "no profile \"\(name)\" in \(paths)")
        }
        guard let roleArn = s["role_arn"] else {
            return SourceCredentials(keys: try keys(of: name, s, key: key), origin: "profile \(name)", region: s["region"])
        }
        let sourceKeys: AWSKeys
        if let source = s["source_profile"] {
            guard let sourceSettings = settings(source) else {
                throw ConfigurationError(key: key, "profile \"\(name)\" names source_profile \"\(source)\", which is not in \(paths)")
            }
            guard sourceSettings["role_arn"] == nil || source == name else {
                throw ConfigurationError(key: key, "profile \"\(name)\" chains roles through \"\(source)\"; give the emulator the last role and keys that can assume it")
            }
            sourceKeys = try keys(of: source, sourceSettings, key: key)
        } else if s["credential_source"] == "Environment", let id = environment["AWS_ACCESS_KEY_ID"],
                  let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            sourceKeys = AWSKeys(accessKeyId: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
        } else {
            throw ConfigurationError(key: key, "profile \"\(name)\" has role_arn but no source_profile (or credential_source = Environment with keys set)")
        }
        guard STSSettings.isRoleArn(roleArn) else {
            throw ConfigurationError(key: key, "profile \"\(name)\" has role_arn \"\(roleArn)\", which is not a role ARN")
        }
        var duration: Seconds?
        if let text = s["duration_seconds"] {
            guard let n = Int(text), (900...43200).contains(n) else {
                throw ConfigurationError(key: key, "profile \"\(name)\" has duration_seconds \(text); valid: 900..43200")
            }
            duration = Seconds(Double(n))
        }
        return SourceCredentials(keys: sourceKeys, origin: "profile \(name)", roleArn: roleArn,
                                 roleSessionName: s["role_session_name"], externalId: s["external_id"],
                                 mfaSerial: s["mfa_serial"], duration: duration, region: s["region"])
    }

    func keys(of name: String, _ s: [String: String], key: String) throws(ConfigurationError) -> AWSKeys {
        guard let id = s["aws_access_key_id"], let secret = s["aws_secret_access_key"] else {
            throw ConfigurationError(key: key, "profile \"\(name)\" has no aws_access_key_id and aws_secret_access_key")
        }
        return AWSKeys(accessKeyId: id, secretAccessKey: secret, sessionToken: s["aws_session_token"])
    }
}
