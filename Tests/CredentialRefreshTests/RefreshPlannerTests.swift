import Testing
@testable import CredentialRefresh
import IMDSCore

@Suite struct RefreshPlannerTests {
    func set(life: Seconds, at t: Timestamp) -> CredentialSet {
        CredentialSet(accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "t", lastUpdated: t, expiration: t + life)
    }

    @Test func followsTheRotationScheduleAfterASuccess() {
        var p = RefreshPlanner(schedule: RotationSchedule(every: .hours(1), before: .minutes(30)), start: testStart)
        #expect(p.isDue(at: testStart))
        p.succeeded(with: set(life: .hours(6), at: testStart), at: testStart, random: 0.99)
        #expect(p.nextFetch == testStart + .hours(1))
        p.succeeded(with: set(life: .minutes(50), at: testStart), at: testStart, random: 0)
        #expect(p.nextFetch == testStart + .minutes(20))
    }

    @Test func jitterOnlyMovesFetchesEarlier() {
        var p = RefreshPlanner(schedule: RotationSchedule(every: .hours(1), before: .minutes(30)), jitterFraction: 0.1, start: testStart)
        p.succeeded(with: set(life: .hours(6), at: testStart), at: testStart, random: 0.5)
        #expect(p.nextFetch == testStart + .hours(1) - .minutes(0.5))
        p.succeeded(with: set(life: .minutes(40), at: testStart), at: testStart, random: 1)
        #expect(p.nextFetch == testStart + .minutes(9))
    }

    @Test func shortSetsAreRefreshedAtHalfTheirLife() {
        var p = RefreshPlanner(schedule: RotationSchedule(every: .hours(1), before: .minutes(30)), start: testStart)
        p.succeeded(with: set(life: .minutes(15), at: testStart), at: testStart, random: 0)
        #expect(p.nextFetch == testStart + .minutes(7.5))
        p.succeeded(with: set(life: Seconds(1), at: testStart), at: testStart, random: 0)
        #expect(p.nextFetch == testStart + Seconds(1))
    }

    @Test func backsOffExponentiallyUpToTheCapAndResetsOnSuccess() {
        var p = RefreshPlanner(schedule: RotationSchedule(every: .minutes(5), before: .minutes(1)), start: testStart)
        let e = CredentialSourceError("down")
        let delays = (0..<10).map { _ in p.failed(e, at: testStart, random: 1).value }
        #expect(delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30])
        #expect(p.failed(e, at: testStart, random: 0) == Seconds(15))
        #expect(p.consecutiveFailures == 11)
        #expect(p.lastError == e)
        p.succeeded(with: set(life: .hours(1), at: testStart), at: testStart, random: 0)
        #expect(p.consecutiveFailures == 0)
        #expect(p.failed(e, at: testStart, random: 1) == Seconds(0.5))
    }

    @Test func backoffNeverWaitsLongerThanTheRotationInterval() {
        var p = RefreshPlanner(schedule: RotationSchedule(every: Seconds(3), before: Seconds(2)), start: testStart)
        for _ in 0..<8 { p.failed(CredentialSourceError("x"), at: testStart, random: 1) }
        #expect(p.nextFetch == testStart + Seconds(3))
    }
}
