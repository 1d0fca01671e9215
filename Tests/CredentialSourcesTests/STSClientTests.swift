import FoundationEssentials
import Testing
@testable import CredentialSources
@testable import IMDSCore

/// A transport that records the request and answers what it is told: the only stand-in in
/// these tests, for the network under the client; the integration tests use moto.
final class RecordingTransport: HTTPTransport, @unchecked Sendable {
    var status: Int
    var answer: String
    var sent: (method: String, url: URL, headers: [(String, String)], body: String)?

    init(status: Int, answer: String) {
        self.status = status
        self.answer = answer
    }

    func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialSourceError) -> (status: Int, body: [UInt8]) {
        sent = (method, url, headers, String(decoding: body, as: UTF8.self))
        return (status, Array(answer.utf8))
    }
}

@Suite struct STSClientTests {
    let now = Timestamp(iso8601: "2026-11-21T22:30:00Z")!
    let keys = AWSKeys(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let success = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAOK</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2026-11-21T23:30:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"

    @Test func assumeRoleSendsASignedFormPost() throws {
        let transport = RecordingTransport(status: 200, answer: success)
        let client = STSClient(endpoint: URL(string: "http://127.0.0.1:45111/")!, region: "us-east-1", transport: transport)
        let source = AssumeRoleSource(client: client, keys: keys, roleArn: "arn:aws:iam::123456789012:role/test-role",
                                      sessionName: "itest", duration: .hours(1), externalId: "ext+1")
        let set = try source.fetch(now: now)
        #expect(set.accessKeyId == "ASIAOK")
        let sent = try #require(transport.sent)
        #expect(sent.method == "POST")
        #expect(sent.body == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ftest-role&RoleSessionName=itest&DurationSeconds=3600&ExternalId=ext%2B1")
        let auth = try #require(sent.headers.first { $0.0 == "Authorization" }?.1)
        #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="))
        #expect(!sent.headers.contains { $0.1.contains(keys.secretAccessKey) })
    }

    @Test func errorsBecomeOneReadableLine() {
        let transport = RecordingTransport(status: 403, answer: "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not\nallowed</Message></Error><RequestId>r-1</RequestId></ErrorResponse>")
        let client = STSClient(endpoint: URL(string: "https://sts.us-east-1.amazonaws.com/")!, region: "us-east-1", transport: transport)
        #expect(throws: CredentialSourceError("AssumeRole: AccessDenied: not allowed (HTTP 403, request id r-1)", isRetryable: false)) {
            try client.call("AssumeRole", [], keys: keys, at: now)
        }
        transport.status = 503
        transport.answer = "<html>busy</html>"
        #expect(throws: CredentialSourceError("GetSessionToken: STS answered HTTP 503", isRetryable: true)) {
            try client.call("GetSessionToken", [], keys: keys, at: now)
        }
    }

    @Test func aRedirectIsRefusedNotFollowed() {
        let transport = RecordingTransport(status: 307, answer: "")
        let client = STSClient(endpoint: URL(string: "http://127.0.0.1:45111/")!, region: "us-east-1", transport: transport)
        #expect(throws: CredentialSourceError("AssumeRole: 127.0.0.1:45111 answered a redirect (HTTP 307); not followed: set sts-endpoint to the real endpoint")) {
            try client.call("AssumeRole", [], keys: keys, at: now)
        }
    }

    @Test func staticSourceServesKeysAsTheyAreOnlyWhenAsked() throws {
        let transport = RecordingTransport(status: 200, answer: success.replacing("AssumeRole", with: "GetSessionToken"))
        let client = STSClient(endpoint: URL(string: "http://127.0.0.1:1/")!, region: "us-east-1", transport: transport)
        let exchanged = try StaticSource(client: client, keys: keys, duration: .hours(1), serveAsIs: false, announcedLifetime: .hours(1)).fetch(now: now)
        #expect(exchanged.accessKeyId == "ASIAOK")
        #expect(transport.sent?.body.hasPrefix("Action=GetSessionToken") == true)
        transport.sent = nil
        let asIs = try StaticSource(client: client, keys: keys, duration: .hours(1), serveAsIs: true, announcedLifetime: .hours(1)).fetch(now: now)
        #expect(asIs.accessKeyId == keys.accessKeyId)
        #expect(asIs.expiration == now + .hours(1))
        #expect(transport.sent == nil)
    }
}
