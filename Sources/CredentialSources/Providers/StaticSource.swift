import IMDSCore

/// `--source static`: long-term keys exchanged for a session with GetSessionToken, or, when
/// the user insists, served as they are.
public struct StaticSource: CredentialSource {
    public var name: String { "static" }
    public var blocksCaller: Bool { !serveAsIs }

    public var client: STSClient
    public var keys: AWSKeys
    public var duration: Seconds
    public var serveAsIs: Bool
    /// How long a set of served-as-is keys is announced to live; it decides when SDKs refetch.
    public var announcedLifetime: Seconds
    public var mfaSerial: String?
    public var mfaCommand: String?

    public init(client: STSClient, keys: AWSKeys, duration: Seconds, serveAsIs: Bool, announcedLifetime: Seconds,
                mfaSerial: String? = nil, mfaCommand: String? = nil) {
        self.client = client
        self.keys = keys
        self.duration = duration
        self.serveAsIs = serveAsIs
        self.announcedLifetime = announcedLifetime
        self.mfaSerial = mfaSerial
        self.mfaCommand = mfaCommand
    }

    public func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
        if serveAsIs {
            return CredentialSet(accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey,
                                 sessionToken: keys.sessionToken ?? "", lastUpdated: now, expiration: now + announcedLifetime)
        }
        var parameters = [("DurationSeconds", String(Int(duration.value)))]
        parameters += try MFACode.parameters(serial: mfaSerial, command: mfaCommand)
        return try client.call("GetSessionToken", parameters, keys: keys, at: now).credentialSet(fetchedAt: now)
    }
}
