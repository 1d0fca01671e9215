import Testing
@testable import IMDSCore

@Suite struct CredentialTests {
    @Test func syntheticSetsLookLikeSTSCredentials() {
        let set = SyntheticCredentials(lifetime: .hours(6), random: .seeded(5)).make(now: testStart + Seconds(0.7))
        #expect(isBase32Id(set.accessKeyId, prefix: "ASIA", count: 16))
        #expect(set.secretAccessKey.count == 40)
        #expect(set.secretAccessKey.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/") })
        #expect(set.sessionToken.hasPrefix("IQoJb3JpZ2luX2Vj"))
        #expect(set.sessionToken.count > 1000)
        #expect(set.lastUpdated == testStart)
        #expect(set.expiration - set.lastUpdated == Seconds.hours(6))
    }

    @Test func descriptionNeverShowsSecrets() {
        let set = SyntheticCredentials(lifetime: .hours(6), random: .seeded(5)).make(now: testStart)
        let text = "\(set)"
        #expect(text.contains(set.accessKeyId))
        #expect(!text.contains(set.secretAccessKey))
        #expect(!text.contains(set.sessionToken))
    }

    @Test func rotatesHourlyAndNeverLaterThanRotateBefore() {
        let set = SyntheticCredentials(lifetime: .hours(6), random: .seeded(5)).make(now: testStart)
        let hourly = RotationSchedule(every: .hours(1), before: .minutes(30))
        #expect(hourly.due(after: set, fetchedAt: set.lastUpdated) == testStart + .hours(1))
        let rare = RotationSchedule(every: .hours(24), before: .minutes(30))
        #expect(rare.due(after: set, fetchedAt: set.lastUpdated) == testStart + .hours(5.5))
        #expect(hourly.leastRemaining(lifetime: .hours(6)) == .hours(5))
        #expect(rare.leastRemaining(lifetime: .hours(6)) == .minutes(30))
    }

    @Test func documentIsByteForByteTheIMDSLayout() {
        let set = CredentialSet(accessKeyId: "ASIAAAAAAAAAAAAAAAAA", secretAccessKey: String(repeating: "s", count: 40),
                                sessionToken: "tok", lastUpdated: testStart, expiration: testStart + .hours(6))
        #expect(CredentialDocument.credentials(set) == """
        {
          "Code" : "Success",
          "LastUpdated" : "2026-11-21T22:00:00Z",
          "Type" : "AWS-HMAC",
          "AccessKeyId" : "ASIAAAAAAAAAAAAAAAAA",
          "SecretAccessKey" : "ssssssssssssssssssssssssssssssssssssssss",
          "Token" : "tok",
          "Expiration" : "2026-11-22T04:00:00Z"
        }
        """)
    }

    @Test func instanceProfileIdIsStableAndWellFormed() {
        let a = InstanceProfile(accountId: "123456789012", name: "web")
        #expect(a.id == InstanceProfile(accountId: "123456789012", name: "web").id)
        #expect(a.id != InstanceProfile(accountId: "123456789012", name: "db").id)
        #expect(isBase32Id(a.id, prefix: "AIPA", count: 17))
        #expect(a.arn == "arn:aws:iam::123456789012:instance-profile/web")
    }
}

/// `prefix` and `count` characters of the base32 alphabet (A-Z, 2-7) IAM ids are written in.
func isBase32Id(_ id: String, prefix: String, count: Int) -> Bool {
    guard id.hasPrefix(prefix) else { return false }
    let rest = id.dropFirst(prefix.count)
    return rest.count == count && rest.allSatisfy { ("A"..."Z").contains($0) || ("2"..."7").contains($0) }
}
