import Testing
@testable import IMDSCore

@Suite struct DurationFormatTests {
    @Test func parsesUnitsAndCombinations() {
        #expect(DurationFormat.parse("90s") == Seconds(90))
        #expect(DurationFormat.parse("15m") == Seconds(900))
        #expect(DurationFormat.parse("6h") == Seconds(21600))
        #expect(DurationFormat.parse("1h30m") == Seconds(5400))
        #expect(DurationFormat.parse("500ms") == Seconds(0.5))
        #expect(DurationFormat.parse("1d") == Seconds(86400))
    }

    @Test func refusesBareNumbersAndUnknownUnits() {
        for bad in ["", "60", "6x", "h", "1.2.3s", "-5s", "5 s", "soon"] {
            #expect(DurationFormat.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func writesDurationsBackReadably() {
        #expect(Seconds(21600).description == "6h")
        #expect(Seconds(5400).description == "1h30m")
        #expect(Seconds(90).description == "1m30s")
        #expect(Seconds(0.25).description == "250ms")
    }
}
