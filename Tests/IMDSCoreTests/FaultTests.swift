import Testing
@testable import IMDSCore

@Suite struct FaultTests {
    func rules(_ rules: FaultRule...) -> (IMDSService, String) {
        let (service, _) = makeService()
        let t = token(service)
        service.faults = FaultSet(rules)
        return (service, t)
    }

    let credentials = "/latest/meta-data/iam/security-credentials/imds-emulator"

    @Test func countedStatusFaultsApplyThenGoAway() {
        let (service, t) = rules(FaultRule(match: .pathClass(.credentials), action: .status(500, delayMilliseconds: nil), remaining: 2))
        #expect(get(service, credentials, token: t).status == 500)
        let second = get(service, credentials, token: t)
        #expect(second.status == 500)
        #expect(second.annotation.fault == "status 500")
        #expect(get(service, credentials, token: t).status == 200)
        #expect(get(service, "/latest/meta-data/instance-id", token: t).status == 200)
    }

    @Test func actionsShapeTheAnswer() throws {
        let (service, t) = rules(FaultRule(match: .pathClass(.credentials), action: .malformed, remaining: 1),
                                 FaultRule(match: .pathClass(.credentials), action: .errorCode("AssumeRoleUnauthorizedAccess"), remaining: 1),
                                 FaultRule(match: .pathClass(.token), action: .close, remaining: 1),
                                 FaultRule(match: .prefix("/latest/meta-data/placement/"), action: .delay(milliseconds: 1500)))
        let full = CredentialDocument.credentials(try #require(service.credentials))
        let cut = get(service, credentials, token: t)
        #expect(cut.status == 200 && full.hasPrefix(cut.body) && cut.body.count == full.count / 2)
        let error = get(service, credentials, token: t)
        #expect(error.status == 200 && error.body.contains("\"Code\" : \"AssumeRoleUnauthorizedAccess\"") && !error.body.contains("AccessKeyId"))
        #expect(putToken(service).closeConnection)
        #expect(putToken(service).closeConnection == false)
        let slow = get(service, "/latest/meta-data/placement/region", token: t)
        #expect(slow.delay == 1.5 && slow.body == "us-east-1")
        #expect(get(service, "/latest/meta-data/placement/region", token: t).delay == 1.5)
    }

    @Test func filtersByClientAndUserAgent() {
        let (service, t) = rules(FaultRule(match: .any, action: .status(503, delayMilliseconds: nil), client: "10.0.0.9", userAgent: "Botocore"))
        var headers = HTTPHeaders([("X-aws-ec2-metadata-token", t), ("User-Agent", "Boto3/1 Botocore/1")])
        #expect(service.handle(Request(method: .get, target: credentials, headers: headers, clientAddress: "10.0.0.9")).status == 503)
        #expect(service.handle(Request(method: .get, target: credentials, headers: headers, clientAddress: "10.0.0.8")).status == 200)
        headers = HTTPHeaders([("X-aws-ec2-metadata-token", t), ("User-Agent", "aws-sdk-go/1")])
        #expect(service.handle(Request(method: .get, target: credentials, headers: headers, clientAddress: "10.0.0.9")).status == 200)
    }

    @Test func probabilityIsHonouredRoughly() {
        let (service, t) = rules(FaultRule(match: .pathClass(.metadata), action: .status(500, delayMilliseconds: nil), probability: 0.5))
        let faulted = (0..<400).filter { _ in get(service, "/latest/meta-data/instance-id", token: t).status == 500 }.count
        #expect((120...280).contains(faulted))
    }

    @Test func throttleAnswers429PerClient() {
        var settings = ServiceSettings()
        settings.throttleRPS = 5
        let (service, clock) = makeService(settings)
        let t = token(service)
        let statuses = (0..<10).map { _ in get(service, "/latest/meta-data/instance-id", token: t).status }
        #expect(statuses.filter { $0 == 429 }.count >= 4)
        clock.advance(by: Seconds(1))
        #expect(get(service, "/latest/meta-data/instance-id", token: t).status == 200)
    }
}
