import FoundationEssentials
import IMDSCore

/// The JSON a `credential_process` prints, as the AWS SDKs define it.
struct CredentialProcessOutput: Decodable {
    var Version: Int
    var AccessKeyId: String
    var SecretAccessKey: String
    var SessionToken: String?
    var Expiration: String?

    /// Decodes and checks the document; errors never quote it, since it holds the secret.
    static func parse(_ stdout: [UInt8]) throws(CredentialSourceError) -> CredentialProcessOutput {
        let output: CredentialProcessOutput
        do {
            output = try JSONDecoder().decode(CredentialProcessOutput.self, from: Data(stdout))
        } catch let DecodingError.keyNotFound(key, _) {
            throw CredentialSourceError("credential-process output has no \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw CredentialSourceError("credential-process output has a wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw CredentialSourceError("credential-process output is not valid JSON (\(stdout.count) bytes)")
        }
        guard output.Version == 1 else {
            throw CredentialSourceError("credential-process output has Version \(output.Version); valid: 1")
        }
        guard !output.AccessKeyId.isEmpty, !output.SecretAccessKey.isEmpty else {
            throw CredentialSourceError("credential-process output has an empty AccessKeyId or SecretAccessKey")
        }
        return output
    }
}
