import IMDSCore

/// `--source assume-role`: STS AssumeRole with source keys from the environment or a profile,
/// optionally with an MFA code from a command (the emulator refreshes unattended).
public struct AssumeRoleSource: CredentialSource {
    public var name: String { "assume-role" }
    public var blocksCaller: Bool { true }

    public var client: STSClient
    public var keys: AWSKeys
    public var roleArn: String
    public var sessionName: String
    public var duration: Seconds
    public var externalId: String?
    public var mfaSerial: String?
    public var mfaCommand: String?

    public init(client: STSClient, keys: AWSKeys, roleArn: String, sessionName: String, duration: Seconds,
                externalId: String? = nil, mfaSerial: String? = nil, mfaCommand: String? = nil) {
        self.client = client
        self.keys = keys
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.duration = duration
        self.externalId = externalId
        self.mfaSerial = mfaSerial
        self.mfaCommand = mfaCommand
    }

    public func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
        var parameters = [("RoleArn", roleArn), ("RoleSessionName", sessionName),
                          ("DurationSeconds", String(Int(duration.value)))]
        if let externalId { parameters.append(("ExternalId", externalId)) }
        parameters += try MFACode.parameters(serial: mfaSerial, command: mfaCommand)
        let response = try client.call("AssumeRole", parameters, keys: keys, at: now)
        return try response.credentialSet(fetchedAt: now)
    }
}

extension STSResponse {
    func credentialSet(fetchedAt now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
        guard let expiration = Timestamp(rfc3339: expiration) else {
            throw CredentialSourceError("STS answered an Expiration that is not a time: \(expiration)")
        }
        return CredentialSet(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
                             lastUpdated: now, expiration: expiration)
    }
}
