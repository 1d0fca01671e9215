import Testing
@testable import IMDSCore

/// The remembering check must answer exactly as the full one, whatever was remembered before.
@Suite struct VerifiedTokensTests {
    @Test func aRememberedTokenExpiresAsAnUncheckedOne() {
        var authority = TokenAuthority(key: Array(repeating: 1, count: 32))
        let token = authority.issue(ttl: 60, now: testStart, random: .seeded(3))
        for offset in [0, 30, 59.5, 60, 61, 3600] as [Double] {
            let now = testStart + Seconds(offset)
            #expect(authority.checkRemembering(token, now: now) == authority.check(token, now: now), "\(offset)")
        }
        #expect(authority.checkRemembering(token, now: testStart + Seconds(59.5)) == .valid(secondsLeft: 1))
        #expect(authority.checkRemembering(token, now: testStart + Seconds(60)) == .expired)
    }

    @Test func aTokenFromBeyondTheTTLLimitStaysInvalidOnceRemembered() {
        var authority = TokenAuthority(key: Array(repeating: 1, count: 32))
        let future = testStart + Seconds(86400 * 365)
        let token = authority.issue(ttl: 21600, now: future, random: .seeded(4))
        #expect(authority.checkRemembering(token, now: future) == .valid(secondsLeft: 21600))
        #expect(authority.checkRemembering(token, now: testStart) == .invalid)
    }

    @Test func changingAnyCharacterOfARememberedTokenIsRefused() {
        var authority = TokenAuthority(key: Array(repeating: 1, count: 32))
        let token = authority.issue(ttl: 600, now: testStart, random: .seeded(5))
        #expect(authority.checkRemembering(token, now: testStart) == .valid(secondsLeft: 600))
        let chars = Array(token)
        for i in 0..<54 {
            var forged = chars
            forged[i] = chars[i] == "A" ? "B" : "A"
            #expect(authority.checkRemembering(String(forged), now: testStart) == .invalid, "character \(i)")
        }
        #expect(authority.checkRemembering(token, now: testStart) == .valid(secondsLeft: 600))
    }

    @Test func anotherKeysRememberedTokenIsNotOurs() {
        var first = TokenAuthority(key: Array(repeating: 1, count: 32))
        var second = TokenAuthority(key: Array(repeating: 2, count: 32))
        let token = first.issue(ttl: 600, now: testStart, random: .seeded(6))
        #expect(first.checkRemembering(token, now: testStart) == .valid(secondsLeft: 600))
        #expect(second.checkRemembering(token, now: testStart) == .invalid)
    }

    @Test func manyTokensSharingSlotsAreAllStillRecognised() {
        var authority = TokenAuthority(key: Array(repeating: 1, count: 32))
        let random = RandomSource.seeded(7)
        let tokens = (0..<2000).map { i in authority.issue(ttl: 60 + i % 600, now: testStart, random: random) }
        for _ in 0..<2 {
            for (i, token) in tokens.enumerated() {
                #expect(authority.checkRemembering(token, now: testStart) == .valid(secondsLeft: 60 + i % 600))
            }
        }
    }

    @Test func malformedTokensAreInvalidAndNeverRemembered() {
        var authority = TokenAuthority(key: Array(repeating: 1, count: 32))
        for bad in ["", "abc", String(repeating: "A", count: 56), String(repeating: "A", count: 54) + "=="] {
            #expect(authority.checkRemembering(bad, now: testStart) == .invalid)
            #expect(authority.checkRemembering(bad, now: testStart) == .invalid)
        }
    }

    @Test func wordWiseComparisonLooksAtEveryByte() {
        let expected = (0..<57).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        func equal(_ given: [UInt8]) -> Bool {
            given.withUnsafeBytes { g in expected.withUnsafeBytes { e in ConstantTime.equal(g, e) } }
        }
        #expect(equal(expected))
        for i in expected.indices {
            var changed = expected
            changed[i] ^= 0x40
            #expect(!equal(changed), "byte \(i)")
        }
        #expect(!equal(Array(expected.dropLast())))
        #expect(!equal(expected + [0]))
        #expect(!equal([]))
    }
}
