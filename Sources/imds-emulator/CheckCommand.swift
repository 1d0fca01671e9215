import ArgumentParser
import CredentialSources
import FoundationEssentials
import IMDSCore

/// `imds-emulator check URL`: walks the path every SDK walks (token, role, credentials) and
/// checks what comes back, so it serves as a Docker health check and as a first diagnosis.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Fetch a token, the role and its credentials from URL and validate them; exit 0 or 1."
    )

    @Argument(help: ArgumentHelp("Base URL of the metadata service, e.g. http://127.0.0.1:9254/", valueName: "url"))
    var url: String

    @Option(help: ArgumentHelp("Seconds to wait for each answer.", valueName: "seconds"))
    var timeout: Int = 2

    func run() throws {
        do {
            print(try check())
        } catch let failure as RuntimeFailure {
            print("check failed: \(failure.message)")
            throw ExitCode(1)
        }
    }

    private func check() throws -> String {
        let base = url.hasSuffix("/") ? url : url + "/"
        let token = try fetch(.put, base + "latest/api/token", [("X-aws-ec2-metadata-token-ttl-seconds", "60")], what: "token")
        let auth = [("X-aws-ec2-metadata-token", token)]
        let roles = try fetch(.get, base + "latest/meta-data/iam/security-credentials/", auth, what: "role list")
        guard let role = roles.split(separator: "\n").first.map(String.init), !role.isEmpty else {
            throw RuntimeFailure("role list is empty")
        }
        let body = try fetch(.get, base + "latest/meta-data/iam/security-credentials/" + role, auth, what: "credentials")
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)), case .object = document else {
            throw RuntimeFailure("credentials of \(role) are not a JSON object")
        }
        /// A member that is a string; anything else counts as missing.
        func text(_ key: String) -> String? {
            guard case .string(let value)? = document[key] else { return nil }
            return value
        }
        let code = text("Code") ?? ""
        guard code == "Success" else {
            throw RuntimeFailure("credentials of \(role) have Code \(code.isEmpty ? "(none)" : code): \(text("Message") ?? "")")
        }
        let keyId = text("AccessKeyId") ?? ""
        guard ValueShape.accessKeyId.matches(keyId) else {
            throw RuntimeFailure("credentials of \(role) have no valid AccessKeyId")
        }
        guard text("SecretAccessKey")?.count == 40 else {
            throw RuntimeFailure("credentials of \(role) have no 40-character SecretAccessKey")
        }
        guard let session = text("Token"), !session.isEmpty else {
            throw RuntimeFailure("credentials of \(role) have no Token")
        }
        guard let expires = text("Expiration"), let expiration = Timestamp(iso8601: expires) else {
            throw RuntimeFailure("credentials of \(role) have no valid Expiration")
        }
        let left = expiration - SystemClock().now()
        guard left.value > 0 else { throw RuntimeFailure("credentials of \(role) expired at \(expires)") }
        return "ok: role \(role), access key \(keyId), expires \(expires) (in \(Seconds(left.value.rounded(.down))))"
    }

    /// Through the same transport as STS (libevent, http-parser), plain http allowed: the
    /// health check must work in the slim runtime image, which has no other HTTP stack.
    private func fetch(_ method: HTTPMethod, _ url: String, _ headers: [(String, String)], what: String) throws -> String {
        guard let parsed = URL(string: url) else { throw RuntimeFailure("\(what): \(url) is not a URL") }
        let transport = LibeventTransport(timeout: Double(timeout), connectTimeout: Double(timeout), maxResponseBytes: 1 << 20)
        let reply: (status: Int, body: [UInt8])
        do {
            reply = try transport.send(method: method.rawValue, url: parsed, headers: headers, body: [])
        } catch {
            throw RuntimeFailure("\(what): \(error.message)")
        }
        guard reply.status == 200 else { throw RuntimeFailure("\(what): HTTP \(reply.status) from \(url)") }
        return String(decoding: reply.body, as: UTF8.self)
    }
}
