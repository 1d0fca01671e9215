import Testing
@testable import EventHTTP

/// New connections are read at once while that finds requests, registered first while it
/// finds nothing, and read at once again when the load falls.
@Suite struct FirstReadPolicyTests {
    @Test func readsAtOnceUntilFirstReadsKeepFindingNothing() {
        var policy = FirstReadPolicy()
        for _ in 0..<100 {
            let atOnce = policy.readAtOnce()
            #expect(atOnce)
            policy.record(foundRequest: true)
        }
        var tried = 0
        for _ in 0..<64 {
            if policy.readAtOnce() {
                tried += 1
                policy.record(foundRequest: false)
            }
        }
        // Four misses to switch, then one connection in eight.
        #expect(tried >= 4 && tried <= 4 + 64 / 8)
    }

    @Test func goesBackToReadingAtOnceWhenProbesFindRequests() {
        var policy = FirstReadPolicy()
        for _ in 0..<16 where policy.readAtOnce() { policy.record(foundRequest: false) }
        var waited = 0
        var sinceLastWait = 0
        for _ in 0..<200 {
            if policy.readAtOnce() {
                policy.record(foundRequest: true)
                sinceLastWait += 1
            } else {
                waited += 1
                sinceLastWait = 0
            }
        }
        #expect(waited > 0)
        #expect(sinceLastWait > 100, "still registering first after the probes found requests")
    }
}
