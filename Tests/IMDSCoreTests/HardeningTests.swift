import Testing
@testable import IMDSCore

/// Issue 13's points that the core answers for: secrets scrubbed from helper output, one
/// constant-time comparison, tokens capped at EC2's six hours whatever the clock did, the
/// shifted clock safe to read from two threads, STS only over https off this host.
@Suite struct HardeningTests {
    @Test func scrubbingTakesOutWhatLooksLikeACredential() {
        let cases: [(String, String)] = [
            ("error: token=AQoDYXdzEJr1234567890abcdefSECRET", "error: token=[redacted]"),
            ("password: hunter2hunter2 retry", "password: [redacted] retry"),
            ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9", "Authorization: [redacted] [redacted]"),
            ("vault said 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' then", "vault said '[redacted]' then"),
            ("AWS_SECRET_ACCESS_KEY=abc", "AWS_SECRET_ACCESS_KEY=[redacted]"),
            ("key AKIAIOSFODNN7EXAMPLE is disabled", "key AKIAIOSFODNN7EXAMPLE is disabled"),
            ("vault is sealed", "vault is sealed"),
            ("see /usr/local/share/helper/config for details", "see /usr/local/share/helper/config for details"),
        ]
        for (text, scrubbed) in cases {
            #expect(SecretScrubber.scrub(text) == scrubbed, "\(text)")
        }
        #expect(CredentialSourceError("failed", detail: "token=abc").withDetail == "failed: token=[redacted]")
    }

    @Test func constantTimeEqualityIsPlainEqualityInResult() {
        #expect(ConstantTime.equal(Array("secret".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equal(Array("secreT".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equal(Array("secret-and-more".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equal(Array("sec".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equal([UInt8](), Array("secret".utf8)))
        #expect(ConstantTime.equal([UInt8](), [UInt8]()))
    }

    @Test func aTokenMadeUnderAShiftedClockDiesWhenTheClockComesBack() {
        let base = ManualClock(testStart)
        let clock = ShiftedClock(base: base)
        let service = IMDSService(settings: ServiceSettings(), tokenKey: Array(repeating: 7, count: 32), clock: clock, random: .seeded(1))
        service.publish(SyntheticCredentials(lifetime: .hours(6), random: .seeded(2)).make(now: clock.now()))
        clock.offset = Seconds(315_360_000)
        let token = putToken(service, ttl: "60").body
        #expect(get(service, "/latest/meta-data/instance-id", token: token).status == 200)
        clock.offset = Seconds(0)
        #expect(get(service, "/latest/meta-data/instance-id", token: token).status == 401)
    }

    @Test func theShiftedClockIsReadWhileItIsSet() async {
        let clock = ShiftedClock(base: ManualClock(testStart))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for i in 0..<20_000 { clock.offset = Seconds(Double(i % 2)) } }
            group.addTask { for _ in 0..<20_000 { _ = clock.now() } }
        }
        #expect(clock.offset == Seconds(1))
    }

    @Test func stsOverPlainHTTPOnlyToThisHost() throws {
        func endpoint(_ url: String) -> String? {
            do {
                _ = try Configuration(values: [("source", .scalar("assume-role")), ("role-arn", .scalar("arn:aws:iam::123456789012:role/r")),
                                               ("sts-endpoint", .scalar(url))])
                return nil
            } catch { return error.key }
        }
        #expect(endpoint("https://sts.eu-west-1.amazonaws.com/") == nil)
        #expect(endpoint("http://127.0.0.1:5000/") == nil && endpoint("http://[::1]:5000/") == nil && endpoint("http://localhost:5000") == nil)
        #expect(endpoint("http://sts.example.com/") == "sts-endpoint")
        #expect(endpoint("http://127.attacker.example/") == "sts-endpoint")
        #expect(endpoint("http://127.0.0.1@attacker.example/") == "sts-endpoint")
    }
}
