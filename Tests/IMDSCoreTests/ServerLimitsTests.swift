import Testing
@testable import IMDSCore

@Suite struct ServerLimitsTests {
    func request(target: String = "/latest/meta-data/", headerCount: Int = 2) -> Request {
        var headers = HTTPHeaders()
        for i in 0..<headerCount { headers.add("X-\(i)", "v") }
        return Request(method: .get, target: target, headers: headers)
    }

    @Test func requestsWithinBoundsPass() {
        let limits = ServerLimits()
        #expect(limits.refusal(of: request(headerCount: 64)) == nil)
        #expect(limits.refusal(of: request(target: "/" + String(repeating: "a", count: 4096 - 15))) == nil)
    }

    @Test func tooManyHeadersGet431() {
        var limits = ServerLimits()
        limits.maxHeaders = 3
        #expect(limits.refusal(of: request(headerCount: 4))?.status == 431)
        #expect(limits.refusal(of: request(headerCount: 3)) == nil)
    }

    @Test func aLongRequestLineGets414() {
        var limits = ServerLimits()
        limits.maxRequestLine = 100
        // "GET " + target + " HTTP/1.1" is 13 bytes around the target.
        #expect(limits.refusal(of: request(target: "/" + String(repeating: "a", count: 87)))?.status == 414)
        #expect(limits.refusal(of: request(target: "/" + String(repeating: "a", count: 86))) == nil)
        #expect(limits.refusal(of: request(target: "/" + String(repeating: "a", count: 87)))?.headers["Content-Type"] == "text/html")
    }
}
