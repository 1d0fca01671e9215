/// Which SDK a User-Agent belongs to, for the credential-fetch metric. The AWS CLI is checked
/// before botocore because its User-Agent names botocore too.
public enum ClientFamily: String, Sendable, CaseIterable {
    case awsCLI = "aws-cli"
    case botocore
    case goV2 = "go-v2"
    case goV1 = "go-v1"
    case java
    case crt
    case other
    case none

    public init(userAgent: String) {
        if userAgent.isEmpty { self = .none }
        else if userAgent.contains("aws-cli/") { self = .awsCLI }
        else if userAgent.contains("Botocore/") || userAgent.contains("Boto3/") || userAgent.contains("botocore/") { self = .botocore }
        else if userAgent.contains("aws-sdk-go-v2/") { self = .goV2 }
        else if userAgent.contains("aws-sdk-go/") { self = .goV1 }
        else if userAgent.contains("aws-sdk-java/") { self = .java }
        else if userAgent.contains("aws-sdk-crt/") { self = .crt }
        else { self = .other }
    }
}
