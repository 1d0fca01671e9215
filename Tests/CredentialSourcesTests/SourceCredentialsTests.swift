import FoundationEssentials
import Testing
@testable import CredentialSources
@testable import IMDSCore

/// Profiles and environment, resolved as the SDKs resolve them; files live in a temporary
/// HOME, never the machine's own.
@Suite struct SourceCredentialsTests {
    let home: String

    init() throws {
        home = FileManager.default.temporaryDirectory.path + "/imds-profiles-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        try """
        # comment
        [default]
        aws_access_key_id = AKIADEFAULT000000000
        aws_secret_access_key = default-secret

        [base]
        aws_access_key_id=AKIABASE000000000000
        aws_secret_access_key=base-secret
        aws_session_token = base-token
        """.write(toFile: home + "/.aws/credentials", atomically: true, encoding: .utf8)
        try """
        [profile dev]
        role_arn = arn:aws:iam::210987654321:role/dev-role
        source_profile = base
        role_session_name = from-profile
        external_id = ext-123
        duration_seconds = 1800
        region = eu-west-1
        s3 =
          max_concurrent_requests = 20
        [profile envsourced]
        role_arn = arn:aws:iam::210987654321:role/env-role
        credential_source = Environment
        [profile broken]
        role_arn = arn:aws:iam::210987654321:role/x
        source_profile = missing
        """.write(toFile: home + "/.aws/config", atomically: true, encoding: .utf8)
    }

    func resolve(_ profile: String?, _ env: [String: String] = [:]) throws(ConfigurationError) -> SourceCredentials {
        try SourceCredentials.resolve(profile: profile, environment: env.merging(["HOME": home]) { a, _ in a })
    }

    @Test func profileWithRoleFollowsItsSourceProfile() throws {
        let found = try resolve("dev")
        #expect(found.keys == AWSKeys(accessKeyId: "AKIABASE000000000000", secretAccessKey: "base-secret", sessionToken: "base-token"))
        #expect(found.roleArn == "arn:aws:iam::210987654321:role/dev-role")
        #expect(found.roleSessionName == "from-profile")
        #expect(found.externalId == "ext-123")
        #expect(found.duration == Seconds(1800))
        #expect(found.region == "eu-west-1")
    }

    @Test func environmentComesBeforeTheDefaultProfile() throws {
        let env = try resolve(nil, ["AWS_ACCESS_KEY_ID": "AKIAENV0000000000000", "AWS_SECRET_ACCESS_KEY": "env-secret"])
        #expect(env.keys.accessKeyId == "AKIAENV0000000000000")
        #expect(env.origin == "environment")
        #expect(try resolve(nil).keys.accessKeyId == "AKIADEFAULT000000000")
        #expect(try resolve(nil, ["AWS_PROFILE": "base"]).keys.accessKeyId == "AKIABASE000000000000")
        let fromEnv = try resolve("envsourced", ["AWS_ACCESS_KEY_ID": "AKIAENV0000000000000", "AWS_SECRET_ACCESS_KEY": "s"])
        #expect(fromEnv.keys.accessKeyId == "AKIAENV0000000000000")
        #expect(fromEnv.roleArn == "arn:aws:iam::210987654321:role/env-role")
    }

    @Test func problemsNameTheSetting() {
        #expect(throws: ConfigurationError.self) { try resolve("nope") }
        do { _ = try resolve("nope") } catch { #expect(error.key == "profile") }
        do { _ = try resolve("broken") } catch { #expect(error.problem.contains("missing")) }
        do {
            _ = try resolve(nil, ["AWS_SHARED_CREDENTIALS_FILE": home + "/.aws"])
            Issue.record("a directory was read as a credentials file")
        } catch {
            #expect(error.key == "AWS_SHARED_CREDENTIALS_FILE")
        }
        let empty = FileManager.default.temporaryDirectory.path + "/imds-empty-\(UUID().uuidString)"
        do {
            _ = try SourceCredentials.resolve(profile: nil, environment: ["HOME": empty])
            Issue.record("found credentials in an empty home")
        } catch {
            #expect(error.key == "AWS_ACCESS_KEY_ID")
        }
    }
}
