import Testing
@testable import IMDSCore

@Suite struct RequestDeadlinesTests {
    @Test func onlyConnectionsStillWaitingExpire() {
        var d = RequestDeadlines<Int>()
        d.start(1, deadline: 100)
        d.start(2, deadline: 200)
        d.start(3, deadline: 300)
        d.forget(2)  // its request arrived
        #expect(d.expire(now: 99) == [])
        #expect(d.expire(now: 250) == [1])
        #expect(d.expire(now: 250) == [])
        #expect(d.count == 1)
        #expect(d.expire(now: 1000) == [3])
        #expect(d.count == 0)
    }

    @Test func aReusedConnectionKeepsItsOwnDeadline() {
        var d = RequestDeadlines<Int>()
        d.start(7, deadline: 100)
        d.forget(7)               // connection 7 closed…
        d.start(7, deadline: 500) // …and its address came back for a new one
        #expect(d.expire(now: 200) == [])
        #expect(d.expire(now: 500) == [7])
    }

    @Test func connectionsThatGotTheirRequestLeaveNothingBehind() {
        var d = RequestDeadlines<Int>()
        for i in 0..<5000 {
            d.start(i, deadline: Int64(i))
            if i % 2 == 0 { d.forget(i) }
        }
        #expect(d.count == 2500)
        #expect(Set(d.expire(now: 2999)).count == 1500)
        #expect(d.expire(now: 4999).count == 1000)
        #expect(d.count == 0)
    }
}
