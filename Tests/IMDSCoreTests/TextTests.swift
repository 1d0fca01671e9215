import Testing
@testable import IMDSCore

/// The few text operations Foundation used to do, each as Foundation did it.
@Suite struct TextTests {
    @Test func whitespaceTrimmingTakesUnicodeWhiteSpaceAndLineBreaks() {
        #expect(" \t\u{85}token\u{2028}\u{A0}\r\n".trimmingWhitespace() == "token")
        #expect("  a b  ".trimmingWhitespace() == "a b")
        #expect(" \n\t ".trimmingWhitespace() == "")
    }

    @Test func blankTrimmingKeepsLineBreaks() {
        #expect("key = value\r".trimmingBlanks() == "key = value\r")
        #expect("\t\u{3000}value \u{202F}".trimmingBlanks() == "value")
        #expect("\u{0B}x\u{0B}".trimmingBlanks() == "\u{0B}x\u{0B}")
        #expect(Substring(" [dev] ").trimmingBlanks() == "[dev]")
    }

    @Test func replacingEveryWorksScalarByScalar() {
        #expect("10.0.0.1".replacingEvery(".", with: "-") == "10-0-0-1")
        #expect("it's".replacingEvery("'", with: "'\\''") == "it'\\''s")
        // A quote with a combining mark is one Character, yet still a quote to a shell.
        #expect("a'\u{301}b".replacingEvery("'", with: "Q").unicodeScalars.elementsEqual("aQ\u{301}b".unicodeScalars))
    }

    @Test func percentDecodingAsFoundationDidIt() {
        #expect(PercentDecoding.decode("a%2Fb%20c") == "a/b c")
        #expect(PercentDecoding.decode("%e2%82%AC") == "€")
        #expect(PercentDecoding.decode("a+b") == "a+b")
        #expect(PercentDecoding.decode("100%") == nil)
        #expect(PercentDecoding.decode("%zz") == nil)
        #expect(PercentDecoding.decode("%ff") == nil)
    }
}
