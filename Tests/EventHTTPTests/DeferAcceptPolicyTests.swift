import Testing
@testable import EventHTTP

/// Deferral goes on only at a rate no SDK makes, and off again soon after the rate falls,
/// whether more connections come or not.
@Suite struct DeferAcceptPolicyTests {
    /// Accepts `count` connections evenly over `seconds` from `start` (microseconds) and returns
    /// every change the policy asked for, in order.
    private func accept(_ policy: inout DeferAcceptPolicy, count: Int, over seconds: Double,
                        from start: Int64) -> [Bool] {
        var changes: [Bool] = []
        let step = Int64(seconds * 1_000_000) / Int64(count)
        for i in 0..<Int64(count) {
            if let change = policy.accepted(at: start + i * step) { changes.append(change) }
        }
        return changes
    }

    @Test func anSDKsPaceNeverDefers() {
        var policy = DeferAcceptPolicy()
        // A busy host: 50 connections a second for a minute.
        #expect(accept(&policy, count: 3000, over: 60, from: 0) == [])
        #expect(!policy.deferring)
    }

    @Test func aBurstOfFewerThanAThousandNeverDefers() {
        var policy = DeferAcceptPolicy()
        // As the connection-limit tests open theirs: all at once, then nothing for a while.
        #expect(accept(&policy, count: DeferAcceptPolicy.onCount - 1, over: 0.1, from: 0) == [])
        #expect(policy.accepted(at: 1_500_000) == nil)
        #expect(!policy.deferring)
    }

    @Test func justBelowTheThresholdNeverDefers() {
        var policy = DeferAcceptPolicy()
        #expect(accept(&policy, count: 2800, over: 3, from: 0) == [])
    }

    @Test func loadTurnsItOnAtTheThousandthConnectionAndOnlyOnce() {
        var policy = DeferAcceptPolicy()
        // 20,000 a second, as wrk makes them, for three seconds.
        var changes: [(Int, Bool)] = []
        for i in 0..<60_000 {
            if let change = policy.accepted(at: Int64(i) * 50) { changes.append((i + 1, change)) }
        }
        #expect(changes.count == 1)
        #expect(changes.first?.0 == DeferAcceptPolicy.onCount && changes.first?.1 == true)
        #expect(policy.deferring)
    }

    @Test func theTimerEndsItAfterTheLoadStopsWithNoMoreConnections() {
        var policy = DeferAcceptPolicy()
        _ = accept(&policy, count: 20_000, over: 2, from: 0)
        #expect(policy.deferring)
        // The load ends at 2 s; the timer looks every second.
        var ended: Int64?
        for second in Int64(3)...Int64(6) where ended == nil {
            if policy.endsDeferral(at: second * 1_000_000) { ended = second }
        }
        #expect(ended != nil && ended! <= 4, "deferral still on at \(String(describing: ended)) s")
        #expect(!policy.deferring)
    }

    @Test func aTimerRightAfterTheWindowRolledDoesNotEndIt() {
        var policy = DeferAcceptPolicy()
        _ = accept(&policy, count: 20_000, over: 1.5, from: 0)
        #expect(policy.deferring)
        // A connection rolls the window; the timer fires a moment later, with no time counted.
        _ = policy.accepted(at: 2_000_000)
        let ended = policy.endsDeferral(at: 2_000_100)
        #expect(!ended)
        #expect(policy.deferring)
    }

    @Test func oneConnectionLongAfterABurstEndsIt() {
        var policy = DeferAcceptPolicy()
        _ = accept(&policy, count: 5000, over: 1.2, from: 0)
        #expect(policy.deferring)
        // No timer ran (or it was late): the next connection, ten seconds on, sees the rate
        // over the whole pause.
        #expect(policy.accepted(at: 11_200_000) == false)
    }

    @Test func loadThatReturnsTurnsItOnAgain() {
        var policy = DeferAcceptPolicy()
        #expect(accept(&policy, count: 10_000, over: 1.5, from: 0) == [true])
        // The timer, each second: the window holding the end of the load keeps it on.
        let endedWithTheLoad = policy.endsDeferral(at: 2_500_000)
        let endedAfterIt = policy.endsDeferral(at: 3_500_000)
        #expect(!endedWithTheLoad)
        #expect(endedAfterIt)
        #expect(accept(&policy, count: 10_000, over: 1.5, from: 10_000_000) == [true])
    }
}
