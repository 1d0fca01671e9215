import IMDSCore

/// `--source process`: any `credential_process` (IAM Roles Anywhere's `aws_signing_helper
/// credential-process`, a vault plugin) behind the IMDS interface.
public struct ProcessSource: CredentialSource {
    public var name: String { "process" }
    public var blocksCaller: Bool { true }

    public var command: String
    /// Announced lifetime of credentials the process gives without an `Expiration`.
    public var lifetimeWithoutExpiration: Seconds
    public var timeout: Double

    public init(command: String, lifetimeWithoutExpiration: Seconds, timeout: Double = 30) {
        self.command = command
        self.lifetimeWithoutExpiration = lifetimeWithoutExpiration
        self.timeout = timeout
    }

    public func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
        let result = try ShellCommand(command: command, timeout: timeout).run()
        guard result.status == 0 else {
            let said = result.stderrSummary
            throw CredentialSourceError("credential-process exited with status \(result.status)",
                                        detail: said.isEmpty ? nil : "stderr: " + said)
        }
        let output = try CredentialProcessOutput.parse(result.stdout)
        var expiration = now + lifetimeWithoutExpiration
        if let text = output.Expiration {
            guard let parsed = Timestamp(rfc3339: text) else {
                throw CredentialSourceError("credential-process output has an Expiration that is not an ISO 8601 time")
            }
            guard parsed > now else {
                throw CredentialSourceError("credential-process output expired at \(parsed.iso8601)")
            }
            expiration = parsed
        }
        return CredentialSet(accessKeyId: output.AccessKeyId, secretAccessKey: output.SecretAccessKey,
                             sessionToken: output.SessionToken ?? "", lastUpdated: now, expiration: expiration)
    }
}
