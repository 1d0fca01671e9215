/// The JSON bodies of the IAM paths, byte for byte in the layout real IMDS uses.
public enum CredentialDocument {
    /// `iam/security-credentials/ROLE`. `Code` must be exactly `Success`: Go v1 compares it
    /// case-sensitively.
    public static func credentials(_ set: CredentialSet) -> String {
        JSONValue.object([
            ("Code", .string("Success")),
            ("LastUpdated", .string(set.lastUpdated.iso8601)),
            ("Type", .string("AWS-HMAC")),
            ("AccessKeyId", .string(set.accessKeyId)),
            ("SecretAccessKey", .string(set.secretAccessKey)),
            ("Token", .string(set.sessionToken)),
            ("Expiration", .string(set.expiration.iso8601)),
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
