import Testing
@testable import IMDSCore

@Suite struct ServiceTokenTests {
    @Test func grantsTokensWithTheRequestedTTL() {
        let (service, _) = makeService()
        for ttl in ["1", "300", "21600"] {
            let r = putToken(service, ttl: ttl)
            #expect(r.status == 200)
            #expect(r.headers["X-Aws-Ec2-Metadata-Token-Ttl-Seconds"] == ttl)
            #expect(r.headers["Content-Type"] == "text/plain")
            #expect(r.body.count == 56 && !r.body.contains("\n"))
            #expect(r.hopLimit == 1)
        }
    }

    @Test func badTTLIsABadRequest() {
        let (service, _) = makeService()
        for ttl in [nil, "", "abc", "0", "-5", "21601", "1.5", " 60", "1e3", "9999999"] {
            let r = putToken(service, ttl: ttl)
            #expect(r.status == 400, "\(String(describing: ttl))")
            #expect(r.headers["Content-Type"] == "text/html")
            #expect(r.body.contains("<title>400 - Bad Request</title>"))
        }
    }

    @Test func forwardedRequestsTrailingSlashAndOtherMethods() {
        let (service, _) = makeService()
        #expect(putToken(service, extra: [("X-Forwarded-For", "10.0.0.1")]).status == 403)
        #expect(putToken(service, target: "/latest/api/token/").status == 403)
        #expect(putToken(service, target: "/latest//api/token").status == 200)
        for method in [HTTPMethod.get, .post, .delete, .patch] {
            let r = service.handle(Request(method: method, target: "/latest/api/token", headers: HTTPHeaders()))
            #expect(r.status == 405)
            #expect(r.headers["Allow"] == "OPTIONS, PUT")
            #expect(r.body.isEmpty)
            #expect(r.headers["Content-Type"] == "text/plain")
        }
    }

    @Test func hopLimitFollowsTheSettings() {
        var settings = ServiceSettings()
        settings.hopLimit = 2
        #expect(putToken(makeService(settings).0).hopLimit == 2)
        #expect(get(makeService(settings).0, "/latest/meta-data/", token: token(makeService(settings).0)).hopLimit == nil)
    }

    @Test func tokenAuthorisesUntilItsTTLRunsOut() {
        let (service, clock) = makeService()
        let t = token(service, ttl: 120)
        let ok = get(service, "/latest/meta-data/instance-id", token: t)
        #expect(ok.status == 200)
        #expect(ok.headers["X-Aws-Ec2-Metadata-Token-Ttl-Seconds"] == "120")
        #expect(ok.annotation.imdsVersion == .v2)
        clock.advance(by: Seconds(80))
        #expect(get(service, "/latest/meta-data/instance-id", token: t).headers["X-Aws-Ec2-Metadata-Token-Ttl-Seconds"] == "40")
        clock.advance(by: Seconds(40))
        let expired = get(service, "/latest/meta-data/instance-id", token: t)
        #expect(expired.status == 401)
        #expect(expired.body.contains("401 - Unauthorized"))
    }

    @Test func tokensSurviveARestartWithTheSameKeyOnly() {
        let (first, clock) = makeService(key: Array(repeating: 3, count: 32))
        let t = token(first)
        let (restarted, _) = makeService(clock: clock, key: Array(repeating: 3, count: 32))
        #expect(get(restarted, "/latest/meta-data/instance-id", token: t).status == 200)
        let (other, _) = makeService(clock: clock, key: Array(repeating: 4, count: 32))
        #expect(get(other, "/latest/meta-data/instance-id", token: t).status == 401)
    }

    @Test func imdsv1ModeDecidesTokenlessRequestsOnly() {
        let (required, _) = makeService()
        #expect(get(required, "/latest/meta-data/instance-id").status == 401)
        var settings = ServiceSettings()
        settings.imdsv1Enabled = true
        let (optional, _) = makeService(settings)
        let v1 = get(optional, "/latest/meta-data/instance-id")
        #expect(v1.status == 200)
        #expect(v1.annotation.imdsVersion == .v1)
        #expect(v1.headers["X-Aws-Ec2-Metadata-Token-Ttl-Seconds"] == nil)
        #expect(get(optional, "/latest/meta-data/instance-id", token: "abc").status == 401)
    }
}
