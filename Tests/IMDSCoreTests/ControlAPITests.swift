import FoundationEssentials
import Testing
@testable import IMDSCore

/// The control API against a real service and a recording stand-in for the emulator's side.
final class FakeControl: EmulatorControl {
    let service: IMDSService
    let clock: ManualClock
    var offset = Seconds(0)
    var resets = 0
    var revoked = 0

    init(service: IMDSService, clock: ManualClock) {
        self.service = service
        self.clock = clock
    }

    func rotateNow(_ done: @escaping (Result<CredentialSet, CredentialSourceError>) -> Void) {
        let set = SyntheticCredentials(lifetime: .hours(6), random: .seeded(UInt64(resets + 99))).make(now: clock.now())
        service.publish(set)
        done(.success(set))
    }
    var clockOffset: Seconds { offset }
    func setClockOffset(_ offset: Seconds) { self.offset = offset }
    func newTokenKey() -> [UInt8] { revoked += 1; return Array(repeating: UInt8(revoked), count: 32) }
    func journal(since: Int, limit: Int) -> (records: [JSONValue], next: Int) { ([], since) }
    func metricsText() -> String { "imds_rotations_total 1\n" }
    var sourceState: JSONValue { .object([("name", .string("synthetic"))]) }
    func reset() { resets += 1 }
    var noted: [(String, JSONValue)] = []
    func noteEvent(_ change: String, _ event: JSONValue) { noted.append((change, event)) }
}

@Suite struct ControlAPITests {
    let service: IMDSService
    let clock: ManualClock
    let control: FakeControl
    let api: ControlAPI
    let adminToken = "0123456789abcdef0123456789abcdef"

    init() {
        (service, clock) = makeService()
        control = FakeControl(service: service, clock: clock)
        api = ControlAPI(token: adminToken, service: service, control: control)
    }

    func call(_ method: HTTPMethod, _ target: String, _ body: String = "", auth: String? = nil) -> Response {
        var headers = HTTPHeaders()
        if let auth = auth ?? Optional("Bearer \(adminToken)"), !auth.isEmpty { headers.add("Authorization", auth) }
        var answer: Response?
        api.handle(Request(method: method, target: target, headers: headers, body: Array(body.utf8))) { answer = $0 }
        return answer ?? Response(status: -1)
    }

    func json(_ r: Response) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(r.body.utf8))
    }

    @Test func everyRouteButHealthNeedsTheToken() {
        #expect(call(.get, "/healthz", auth: "").status == 200)
        for auth in ["", "Bearer wrong", "Bearer " + String(adminToken.dropLast()) + "0", "Basic " + adminToken, "Bearer " + adminToken + "x"] {
            #expect(call(.get, "/v1/state", auth: auth).status == 401, "\(auth)")
            #expect(call(.put, "/v1/clock", #"{"offset_seconds": 60}"#, auth: auth).status == 401)
        }
        #expect(control.offset == Seconds(0))
        #expect(call(.get, "/v1/state").status == 200)
    }

    /// Found by the fuzzer: a query of a lone `=` crashed the split before the token check.
    @Test func oddQueryStringsAreHarmless() {
        for target in ["/v1/journal?=", "/v1/journal?=&&=x&since", "/healthz?=", "/v1/state?a=b=c"] {
            #expect(call(.get, target, auth: "").status != -1)
            #expect(call(.get, target).status != -1)
        }
        #expect(call(.get, "/v1/journal?since=").status == 400)
    }

    @Test func badBodiesAreBadRequests() throws {
        #expect(call(.put, "/v1/clock", "{").status == 400)
        #expect(call(.put, "/v1/clock", "[1]").status == 400)
        #expect(call(.put, "/v1/clock", #"{"offset_seconds": "soon"}"#).status == 400)
        let unknown = call(.put, "/v1/settings", #"{"colour": "blue"}"#)
        #expect(unknown.status == 400)
        #expect(try json(unknown)["error"] == .string("unknown field \"colour\"; valid: imdsv1, hop_limit, throttle_rps, extended_api"))
        #expect(call(.put, "/v1/settings", #"{"hop_limit": 0}"#).status == 400)
        #expect(call(.put, "/v1/settings", #"{"extended_api": 1}"#).status == 400)
        #expect(call(.put, "/v1/faults", #"{"faults": [{"match": "credentials"}]}"#).status == 400)
        #expect(call(.put, "/v1/faults", #"{"faults": [{"match": "credentials", "status": 500, "action": "close"}]}"#).status == 400)
        #expect(call(.put, "/v1/faults", #"{"faults": [{"match": "nowhere", "status": 500}]}"#).status == 400)
        #expect(call(.put, "/v1/faults", #"{"faults": [{"match": "any", "status": 500, "probability": 2}]}"#).status == 400)
        #expect(call(.get, "/latest/meta-data/").status == 404)
        #expect(call(.delete, "/v1/state").status == 405)
    }

    @Test func expireAndRotate() throws {
        let before = try #require(service.credentials)
        let expired = call(.post, "/v1/roles/imds-emulator/expire")
        #expect(expired.status == 200)
        #expect(!service.canServeCredentials)
        #expect(call(.get, "/healthz").status == 503)
        #expect(get(service, "/latest/meta-data/iam/security-credentials/imds-emulator", token: token(service)).status == 500)
        #expect(call(.post, "/v1/roles/imds-emulator/expire", #"{"serve_expired": true}"#).status == 200)
        let served = get(service, "/latest/meta-data/iam/security-credentials/imds-emulator", token: token(service))
        #expect(served.status == 200)
        #expect(served.body.contains(before.accessKeyId))
        let rotated = try json(call(.post, "/v1/roles/imds-emulator/rotate"))
        #expect(rotated["access_key_id"] != .string(before.accessKeyId))
        #expect(call(.get, "/healthz").status == 200)
        #expect(call(.post, "/v1/roles/other/rotate").status == 404)
    }

    @Test func settingsChangeTheService() throws {
        let r = call(.put, "/v1/settings", #"{"imdsv1": "enabled", "hop_limit": 3, "extended_api": true, "throttle_rps": 7}"#)
        let answer = try json(r)
        #expect(answer["imdsv1"] == .string("enabled") && answer["hop_limit"] == .int(3))
        #expect(answer["throttle_rps"] == .int(7) && answer["extended_api"] == .bool(true))
        #expect(service.settings.imdsv1Enabled)
        #expect(get(service, "/latest/meta-data/iam/").body == "info\nsecurity-credentials-extended/\nsecurity-credentials/")
        let extended = get(service, "/latest/meta-data/iam/security-credentials-extended/imds-emulator")
        #expect(extended.body.hasSuffix("\"AccountId\" : \"123456789012\"\n}"))
        #expect(putToken(service).hopLimit == 3)
    }

    @Test func revokeInvalidatesLiveTokens() {
        let t = token(service)
        #expect(get(service, "/latest/meta-data/instance-id", token: t).status == 200)
        #expect(call(.post, "/v1/tokens/revoke").status == 200)
        #expect(get(service, "/latest/meta-data/instance-id", token: t).status == 401)
        #expect(get(service, "/latest/meta-data/instance-id", token: token(service)).status == 200)
    }

    @Test func faultsAreStoredAndCleared() throws {
        let r = call(.put, "/v1/faults", #"{"faults": [{"match": "credentials", "status": 500, "count": 2}, {"match": "//latest//meta-data/placement/", "delay_ms": 1500}]}"#)
        #expect(r.status == 200)
        #expect(service.faults.rules.count == 2)
        #expect(service.faults.rules[1].match == .prefix("/latest/meta-data/placement/"))
        #expect(call(.delete, "/v1/faults").status == 200)
        #expect(service.faults.rules.isEmpty)
    }
}
