@testable import IMDSCore

/// 2026-11-21T22:00:00Z, a fixed start for every test clock.
let testStart = Timestamp(secondsSinceEpoch: 1_795_298_400)

func makeService(_ settings: ServiceSettings = ServiceSettings(), clock: ManualClock = ManualClock(testStart),
                 key: [UInt8] = Array(repeating: 7, count: 32)) -> (IMDSService, ManualClock) {
    let service = IMDSService(settings: settings, tokenKey: key, clock: clock, random: .seeded(1))
    service.publish(SyntheticCredentials(lifetime: .hours(6), random: .seeded(2)).make(now: clock.now()))
    return (service, clock)
}

func get(_ service: IMDSService, _ target: String, token: String? = nil, headers: [(String, String)] = []) -> Response {
    var h = HTTPHeaders(headers.map { (name: $0.0, value: $0.1) })
    if let token { h.add("X-aws-ec2-metadata-token", token) }
    return service.handle(Request(method: .get, target: target, headers: h))
}

func putToken(_ service: IMDSService, ttl: String? = "21600", extra: [(String, String)] = [],
              target: String = "/latest/api/token") -> Response {
    var h = HTTPHeaders(extra.map { (name: $0.0, value: $0.1) })
    if let ttl { h.add("x-aws-ec2-metadata-token-ttl-seconds", ttl) }
    return service.handle(Request(method: .put, target: target, headers: h))
}

func token(_ service: IMDSService, ttl: Int = 21600) -> String {
    putToken(service, ttl: String(ttl)).body
}
