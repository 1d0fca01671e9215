import Testing
@testable import IMDSCore

@Suite struct HTTPStatusTests {
    @Test func everyStatusHasItsOwnReason() {
        #expect(HTTPStatus.badGateway.description == "502 Bad Gateway")
        #expect(HTTPStatus.conflict.reason == "Conflict")
        #expect(HTTPStatus(418).reason == "I'm a teapot" && HTTPStatus(599).reason == "Server Error")
        #expect(HTTPStatus(299).reason == "Success" && HTTPStatus(450).reason == "Client Error")
        for code in 100...599 { #expect(HTTPStatus(code).reason != "Unknown") }
    }

    @Test func aFaultStatusGetsItsPhraseOnThePage() throws {
        let (service, _) = makeService()
        service.faults = FaultSet([try FaultRule(json: .object([("match", .string("any")),
                                                                ("status", .int(409))]), index: 0)])
        let r = get(service, "/latest/meta-data/")
        #expect(r.status == 409 && r.reason == "Conflict" && r.body.contains("<title>409 - Conflict</title>"))
    }
}
