import Crypto

/// The instance profile that carries the role. Its unique id is derived from the account and
/// the name, so it stays the same across restarts as a real profile's would.
public struct InstanceProfile: Sendable, Equatable {
    public var accountId: String
    public var name: String
    /// `aws`, `aws-cn`, …: ARNs name their partition.
    public var partition: String

    public init(accountId: String, name: String, partition: String = "aws") {
        self.accountId = accountId
        self.name = name
        self.partition = partition
    }

    public var arn: String { "arn:\(partition):iam::\(accountId):instance-profile/\(name)" }

    /// `AIPA` + 17 characters of upper-case base-32, like IAM's unique ids.
    public var id: String {
        let digest = Array(SHA256.hash(data: Array("\(accountId)/\(name)".utf8)))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return "AIPA" + String(digest.prefix(17).map { alphabet[Int($0 & 31)] })
    }
}
