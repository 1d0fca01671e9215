import Testing
@testable import CredentialRefresh
import IMDSCore

/// The refresh machine on a hand-driven clock, with a scripted source and a worker whose
/// fetches complete when the test says: rotation times, backoff, an outage ridden out on the
/// last good set, no expired set ever served, the control API's rotations, the lazy start.
@Suite struct CredentialRefresherTests {
    let start = testStart

    /// Answers from a script: a lifetime gives a set, an error fails.
    final class ScriptedSource: CredentialSource, @unchecked Sendable {
        var script: [Result<Seconds, CredentialSourceError>]
        var fetches: [Timestamp] = []
        let blocksCaller: Bool
        var name: String { "scripted" }

        init(_ script: [Result<Seconds, CredentialSourceError>], blocks: Bool = true) {
            self.script = script
            self.blocksCaller = blocks
        }

        func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
            fetches.append(now)
            let next = script.isEmpty ? .success(.hours(1)) : script.removeFirst()
            switch next {
            case .success(let life):
                return CredentialSet(accessKeyId: "ASIA\(fetches.count)", secretAccessKey: "s", sessionToken: "t",
                                     lastUpdated: now, expiration: now + life)
            case .failure(let error):
                throw error
            }
        }
    }

    /// Holds fetches until `complete()` runs them, as the loop would receive them later.
    final class ManualWorker: RefreshWorker, @unchecked Sendable {
        var pending: [() -> Void] = []
        func run(_ fetch: @escaping @Sendable () -> Result<CredentialSet, CredentialSourceError>,
                 then deliver: @escaping @Sendable (Result<CredentialSet, CredentialSourceError>) -> Void) {
            pending.append { deliver(fetch()) }
        }
        func complete() {
            let jobs = pending
            pending.removeAll()
            jobs.forEach { $0() }
        }
    }

    final class Recorder: RefreshObserver {
        var published: [String] = []
        var failures: [Seconds] = []
        var expired: [String] = []
        func published(_ set: CredentialSet, nextRefresh: Timestamp) { published.append(set.accessKeyId) }
        func refreshFailed(_ error: CredentialSourceError, retryIn: Seconds, serving: String) { failures.append(retryIn) }
        func expired(_ set: CredentialSet) { expired.append(set.accessKeyId) }
    }

    func make(_ source: ScriptedSource, every: Seconds = .hours(1), before: Seconds = .minutes(30))
        -> (CredentialRefresher, IMDSService, ManualClock, ManualWorker, Recorder) {
        let clock = ManualClock(start)
        let service = IMDSService(settings: ServiceSettings(), tokenKey: Array(repeating: 1, count: 32), clock: clock, random: .seeded(1))
        let worker = ManualWorker()
        let recorder = Recorder()
        let refresher = CredentialRefresher(source: source, service: service, clock: clock,
                                            schedule: RotationSchedule(every: every, before: before),
                                            worker: worker, observer: recorder, random: { 0.5 })
        return (refresher, service, clock, worker, recorder)
    }

    @Test func rotatesOnTheScheduleFromEachFetch() throws {
        let source = ScriptedSource([.success(.hours(1)), .success(.hours(1))])
        let (refresher, service, clock, worker, recorder) = make(source)
        try refresher.fetchFirst { _ in }
        #expect(service.credentials?.accessKeyId == "ASIA1")
        // One hour sets, rotate 30 minutes before expiry; the jitter (10 % of the interval, at
        // most a minute) takes 30 s off at a random draw of 0.5.
        #expect(refresher.planner.nextFetch == start + .minutes(30) - Seconds(30))
        clock.advance(by: .minutes(29))
        refresher.tick()
        #expect(worker.pending.isEmpty, "not due yet")
        clock.advance(by: Seconds(30))
        refresher.tick()
        #expect(worker.pending.count == 1 && refresher.fetching)
        refresher.tick()
        #expect(worker.pending.count == 1, "one fetch at a time")
        worker.complete()
        #expect(service.credentials?.accessKeyId == "ASIA2" && recorder.published == ["ASIA1", "ASIA2"])
        #expect(source.fetches == [start, start + .minutes(29.5)])
    }

    @Test func anOutageIsRiddenOutOnTheLastGoodSetButNeverPastItsExpiry() throws {
        let down = CredentialSourceError("STS is down")
        let source = ScriptedSource([.success(.minutes(40)), .failure(down), .failure(down), .failure(down), .success(.hours(1))])
        let (refresher, service, clock, worker, recorder) = make(source, every: .minutes(5), before: .minutes(10))
        try refresher.fetchFirst { _ in }
        clock.advance(by: .minutes(5))
        refresher.tick(); worker.complete()
        #expect(service.credentials?.accessKeyId == "ASIA1" && service.canServeCredentials, "the last good set is served")
        // Backoff doubles from half a second ("equal jitter" at 0.5 gives three quarters of it).
        refresher.tick(); #expect(worker.pending.isEmpty, "not before the backoff")
        clock.advance(by: Seconds(1)); refresher.tick(); worker.complete()
        clock.advance(by: Seconds(2)); refresher.tick(); worker.complete()
        #expect(recorder.failures == [Seconds(0.375), Seconds(0.75), Seconds(1.5)])
        clock.advance(by: .minutes(40))
        refresher.tick()
        #expect(!service.canServeCredentials && recorder.expired == ["ASIA1"], "an expired set is not served")
        worker.complete()
        #expect(service.credentials?.accessKeyId == "ASIA5" && service.canServeCredentials)
        #expect(refresher.planner.consecutiveFailures == 0)
    }

    @Test func controlAPIRotationsShareTheFetchInFlight() throws {
        let (refresher, _, _, worker, _) = make(ScriptedSource([]))
        try refresher.fetchFirst { _ in }
        var answers: [String] = []
        refresher.rotateNow { answers.append((try? $0.get())?.accessKeyId ?? "failed") }
        refresher.rotateNow { answers.append((try? $0.get())?.accessKeyId ?? "failed") }
        #expect(worker.pending.count == 1)
        worker.complete()
        #expect(answers == ["ASIA2", "ASIA2"])
    }

    @Test func theFirstFetchRetriesPassingFailuresThenGivesUpSayingHowOften() {
        let passing = CredentialSourceError("timeout")
        let (ok, _, _, _, _) = make(ScriptedSource([.failure(passing), .success(.hours(1))]))
        var pauses: [Double] = []
        #expect(throws: Never.self) { try ok.fetchFirst { pauses.append($0) } }
        #expect(pauses == [0.5])
        let (failing, _, _, _, _) = make(ScriptedSource([.failure(passing), .failure(passing), .failure(passing)]))
        do {
            try failing.fetchFirst { _ in }
            Issue.record("no failure")
        } catch {
            #expect(error.attempts == 3 && error.description == "first credential fetch failed (3 attempts): timeout")
        }
        let refused = CredentialSourceError("AccessDenied", isRetryable: false)
        let (final, _, _, _, _) = make(ScriptedSource([.failure(refused)]))
        #expect(throws: FirstFetchFailure.self) { try final.fetchFirst { _ in Issue.record("retried a final error") } }
    }

    @Test func aLazyStartHoldsRequestsUntilTheFirstSet() {
        let (refresher, service, _, worker, _) = make(ScriptedSource([]))
        refresher.startInBackground()
        let early = service.handle(Request(method: .get, target: "/latest/meta-data/iam/security-credentials/imds-emulator",
                                           headers: HTTPHeaders([("X-aws-ec2-metadata-token", token(service))])))
        #expect(early.status == 500 && early.holdForCredentials, "held by the adapter, 500 if nothing comes")
        worker.complete()
        #expect(!service.awaitingFirstSet && service.canServeCredentials)
    }

    @Test func synthetic_sourcesAreFetchedInPlace() throws {
        let (refresher, service, clock, worker, _) = make(ScriptedSource([], blocks: false))
        try refresher.fetchFirst { _ in }
        clock.advance(by: .hours(1))
        refresher.tick()
        #expect(worker.pending.isEmpty && service.credentials?.accessKeyId == "ASIA2")
    }

    func token(_ service: IMDSService) -> String {
        service.handle(Request(method: .put, target: "/latest/api/token",
                               headers: HTTPHeaders([("X-aws-ec2-metadata-token-ttl-seconds", "60")]))).body
    }
}
