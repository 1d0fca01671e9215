import IMDSCore

/// The current MFA code, printed by `--mfa-command` (an authenticator CLI, a password manager).
enum MFACode {
    static func read(from command: String) throws(CredentialSourceError) -> String {
        let result = try ShellCommand(command: command, timeout: 30).run()
        guard result.status == 0 else {
            throw CredentialSourceError("mfa-command exited with status \(result.status)", detail: "stderr: " + result.stderrSummary)
        }
        let code = String(decoding: result.stdout, as: UTF8.self).trimmingWhitespace()
        guard code.count == 6, code.allSatisfy(\.isNumber) else {
            throw CredentialSourceError("mfa-command printed no 6-digit code")
        }
        return code
    }

    /// `SerialNumber` and `TokenCode` for an STS call, or nothing without a device.
    static func parameters(serial: String?, command: String?) throws(CredentialSourceError) -> [(String, String)] {
        guard let serial, let command else { return [] }
        return [("SerialNumber", serial), ("TokenCode", try read(from: command))]
    }
}
