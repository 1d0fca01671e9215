/// One set of temporary role credentials, as published to clients between two rotations.
///
/// Its description never includes the secret or the session token, so that interpolating a
/// set into a log line cannot leak them.
public struct CredentialSet: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String
    public var lastUpdated: Timestamp
    public var expiration: Timestamp

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String,
                lastUpdated: Timestamp, expiration: Timestamp) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.lastUpdated = lastUpdated.wholeSeconds
        self.expiration = expiration.wholeSeconds
    }

    public func isExpired(at now: Timestamp) -> Bool { now >= expiration }

    public var description: String {
        "CredentialSet(\(accessKeyId), updated \(lastUpdated.iso8601), expires \(expiration.iso8601))"
    }
}
