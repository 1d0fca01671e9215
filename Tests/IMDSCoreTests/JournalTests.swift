import Testing
@testable import IMDSCore

@Suite struct JournalTests {
    func record(_ n: Int) -> AccessRecord {
        AccessRecord(time: testStart, client: "127.0.0.1", port: n, method: "GET", path: "/", status: 200, bytes: 0,
                     durationMicroseconds: 0, userAgent: "", annotation: AccessAnnotation())
    }

    @Test func pagesBySequenceAndForgetsTheOldest() {
        var journal = Journal(capacity: 5)
        for i in 1...8 { journal.append(record(i)) }
        #expect(journal.lastSeq == 8)
        #expect(journal.records(since: 0).map(\.seq) == [4, 5, 6, 7, 8])
        #expect(journal.records(since: 6).map(\.seq) == [7, 8])
        #expect(journal.records(since: 8).isEmpty)
        #expect(journal.records(since: 0, limit: 2).map(\.seq) == [4, 5])
        #expect(journal.records(since: 5).first?.record.json["port"] == .int(6))
    }

    @Test func shiftedClockMovesTokensAndExpiry() {
        let manual = ManualClock(testStart)
        let shifted = ShiftedClock(base: manual)
        let service = IMDSService(settings: ServiceSettings(), tokenKey: Array(repeating: 1, count: 32), clock: shifted, random: .seeded(4))
        let t = token(service, ttl: 600)
        shifted.offset = Seconds(601)
        #expect(get(service, "/latest/meta-data/instance-id", token: t).status == 401)
        #expect(get(service, "/latest/meta-data/instance-id", token: token(service)).headers["X-Aws-Ec2-Metadata-Token-Ttl-Seconds"] == "21600")
    }
}
