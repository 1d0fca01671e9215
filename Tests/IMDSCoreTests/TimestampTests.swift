import Testing
@testable import IMDSCore

@Suite struct TimestampTests {
    @Test func formatsWholeSecondsInUTC() {
        #expect(Timestamp(secondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(secondsSinceEpoch: 951_782_400).iso8601 == "2000-02-29T00:00:00Z")
        #expect(Timestamp(secondsSinceEpoch: 1_795_298_400.9).iso8601 == "2026-11-21T22:00:00Z")
        #expect(Timestamp(secondsSinceEpoch: 4_102_444_799).iso8601 == "2099-12-31T23:59:59Z")
    }

    @Test func formatsMillisecondsAndHTTPDates() {
        #expect(Timestamp(secondsSinceEpoch: 1_795_298_400.042).iso8601Milliseconds == "2026-11-21T22:00:00.042Z")
        #expect(Timestamp(secondsSinceEpoch: 0).rfc1123 == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(testStart.rfc1123 == "Sat, 21 Nov 2026 22:00:00 GMT")
    }

    @Test func parsesWhatItWritesAndFractions() {
        for t in [0.0, 951_782_400, 1_795_298_400, 4_102_444_799] {
            let ts = Timestamp(secondsSinceEpoch: t)
            #expect(Timestamp(iso8601: ts.iso8601) == ts)
        }
        #expect(Timestamp(iso8601: "2025-03-12T20:53:17.832308Z")!.secondsSinceEpoch.rounded(.down) == 1_741_812_797)
        #expect(Timestamp(iso8601: "2025-03-12 20:53:17Z") == nil)
        #expect(Timestamp(iso8601: "2025-13-12T20:53:17Z") == nil)
        #expect(Timestamp(iso8601: "2025-03-12T20:53:17") == nil)
    }

    @Test func longFractionsNeitherOverflowNorCount() throws {
        let t = try #require(Timestamp(iso8601: "2026-01-01T00:00:00." + String(repeating: "9", count: 40) + "Z"))
        let base = try #require(Timestamp(iso8601: "2026-01-01T00:00:00Z")).secondsSinceEpoch
        #expect(t.secondsSinceEpoch - base > 0.999 && t.secondsSinceEpoch - base < 1 && t.iso8601 == "2026-01-01T00:00:00Z")
        #expect(Timestamp(iso8601: "2026-01-01T00:00:00.12345678901234567890x1Z") == nil)
        #expect(Timestamp(iso8601: "2026-01-01T00:00:00.Z") == nil)
        #expect(Timestamp(iso8601: "0226-01-01T00:00:00Z") == nil, "before the epoch")
    }
}
