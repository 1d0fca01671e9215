extension IMDSService {
    static let ttlHeader = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"

    /// `PUT /latest/api/token`, answered as EC2 answers it (docs/imds-behaviour.md §2.1 and §8
    /// rules 2–4). A 400 is reserved for a bad TTL: every SDK treats 400 as fatal.
    func tokenEndpoint(_ request: Request, trailingSlash: Bool) -> Response {
        if trailingSlash {
            return ErrorPage.response(403)
        }
        guard request.method == .put else {
            var headers = HTTPHeaders([("Allow", "OPTIONS, PUT"), ("Content-Type", "text/plain")])
            if request.method == .options {
                headers.add("Accept-Ranges", "none")
                return Response(status: 200, headers: headers)
            }
            return Response(status: 405, headers: headers)
        }
        if request.headers.contains("X-Forwarded-For") {
            return ErrorPage.response(403)
        }
        guard let ttl = Self.parseTTL(request.headers[Self.ttlHeader]) else {
            return ErrorPage.response(400)
        }
        let token = tokens.issue(ttl: ttl, now: clock.now(), random: random)
        let headers = HTTPHeaders([(Self.ttlHeader, String(ttl)), ("Content-Type", "text/plain")])
        return Response(status: 200, headers: headers, body: token, hopLimit: settings.hopLimit,
                        annotation: AccessAnnotation(imdsVersion: .v2))
    }

    /// An integer of 1…21600 written in plain digits; anything else is "Missing or Invalid".
    static func parseTTL(_ value: String?) -> Int? {
        guard let value, !value.isEmpty, value.utf8.count <= 6,
              value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let ttl = Int(value), (1...TokenAuthority.maximumTTL).contains(ttl) else { return nil }
        return ttl
    }
}
