import FoundationEssentials
import Testing
@testable import IMDSCore

@Suite struct TokenAuthorityTests {
    let authority = TokenAuthority(key: Array(repeating: 1, count: 32))

    @Test func tokensHaveTheShapeOfRealOnes() {
        let token = authority.issue(ttl: 21600, now: testStart, random: .seeded(3))
        #expect(token.count == 56)
        #expect(token.hasPrefix("AQAE"))
        #expect(token.hasSuffix("=="))
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "=" })
    }

    @Test func validForTheGrantedTTLThenExpired() {
        let token = authority.issue(ttl: 60, now: testStart, random: .seeded(3))
        #expect(authority.check(token, now: testStart) == .valid(secondsLeft: 60))
        #expect(authority.check(token, now: testStart + Seconds(59.5)) == .valid(secondsLeft: 1))
        #expect(authority.check(token, now: testStart + Seconds(60)) == .expired)
        #expect(authority.check(token, now: testStart + Seconds(3600)) == .expired)
    }

    @Test func everyTokenIsDistinct() {
        let random = RandomSource.seeded(9)
        let tokens = (0..<1000).map { _ in authority.issue(ttl: 60, now: testStart, random: random) }
        #expect(Set(tokens).count == 1000)
    }

    @Test func refusesTamperedForeignAndMalformedTokens() {
        let token = authority.issue(ttl: 600, now: testStart, random: .seeded(3))
        var chars = Array(token)
        chars[20] = chars[20] == "A" ? "B" : "A"
        #expect(authority.check(String(chars), now: testStart) == .invalid)
        let foreign = TokenAuthority(key: Array(repeating: 2, count: 32))
        #expect(foreign.check(token, now: testStart) == .invalid)
        for bad in ["", "abc", String(repeating: "A", count: 56), token + "A", String(token.dropLast())] {
            #expect(authority.check(bad, now: testStart) == .invalid, "\(bad)")
        }
        // The standard base64 spelling of the same bytes is a different token.
        let standard = token.replacingEvery("-", with: "+").replacingEvery("_", with: "/")
        if standard != token { #expect(authority.check(standard, now: testStart) == .invalid) }
    }
}
