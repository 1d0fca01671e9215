import Foundation
import Testing
@testable import IMDSCore

@Suite struct CredentialTests {
    @Test func syntheticSetsLookLikeSTSCredentials() {
        let set = SyntheticCredentials(lifetime: .hours(6), random: .seeded(5)).make(now: testStart + Seconds(0.7))
        #expect(set.accessKeyId.range(of: "^ASIA[A-Z2-7]{16}$", options: .regularExpression) != nil)
        #expect(set.secretAccessKey.range(of: "^[A-Za-z0-9+/]{40}$", options: .regularExpression) != nil)
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
        #expect(a.id.range(of: "^AIPA[A-Z2-7]{17}$", options: .regularExpression) != nil)
        #expect(a.arn == "arn:aws:iam::123456789012:instance-profile/web")
    }
}
