/// Keys that sign requests: long-term IAM user keys or a session. The description shows the
/// key id only.
public struct AWSKeys: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWSKeys(\(accessKeyId)\(sessionToken == nil ? "" : ", with session token"))" }
}
