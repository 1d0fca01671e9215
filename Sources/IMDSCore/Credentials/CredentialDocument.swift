/// The JSON bodies of the IAM paths, byte for byte in the layout real IMDS uses.
public enum CredentialDocument {
    /// `iam/security-credentials/ROLE`. `Code` must be exactly `Success`: Go v1 compares it
    /// case-sensitively.
    public static func credentials(_ set: CredentialSet, accountId: String? = nil) -> String {
        var members: [(String, JSONValue)] = [
            ("Code", .string("Success")),
            ("LastUpdated", .string(set.lastUpdated.iso8601)),
            ("Type", .string("AWS-HMAC")),
            ("AccessKeyId", .string(set.accessKeyId)),
            ("SecretAccessKey", .string(set.secretAccessKey)),
            ("Token", .string(set.sessionToken)),
            ("Expiration", .string(set.expiration.iso8601)),
        ]
        if let accountId { members.append(("AccountId", .string(accountId))) }
        return JSONValue.object(members).imdsPretty
    }

    /// What IMDS answers when a role cannot be assumed: 200, `Code` other than `Success`,
    /// no keys (docs/imds-behaviour.md §1.6).
    public static func error(code: String, role: String, at time: Timestamp) -> String {
        JSONValue.object([
            ("Code", .string(code)),
            ("Message", .string("EC2 cannot assume the role \(role). Please see documentation at https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html#troubleshoot_roles_usingrole-ec2.")),
            ("LastUpdated", .string(time.iso8601)),
        ]).imdsPretty
    }

    /// `identity-credentials/ec2/info`: which account the instance identity belongs to.
    public static func identityCredentialsInfo(accountId: String, lastUpdated: Timestamp) -> String {
        JSONValue.object([
            ("Code", .string("Success")),
            ("LastUpdated", .string(lastUpdated.iso8601)),
            ("AccountId", .string(accountId)),
        ]).imdsPretty
    }

    /// `iam/info`; aws-c-auth requires all three of `LastUpdated`, `InstanceProfileArn` and
    /// `InstanceProfileId`.
    public static func instanceProfileInfo(_ profile: InstanceProfile, lastUpdated: Timestamp) -> String {
        JSONValue.object([
            ("Code", .string("Success")),
            ("LastUpdated", .string(lastUpdated.iso8601)),
            ("InstanceProfileArn", .string(profile.arn)),
            ("InstanceProfileId", .string(profile.id)),
        ]).imdsPretty
    }
}
