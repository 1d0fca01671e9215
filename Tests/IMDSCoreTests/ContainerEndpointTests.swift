import FoundationEssentials
import Testing
@testable import IMDSCore

@Suite struct ContainerEndpointTests {
    let service: IMDSService
    let endpoint: ContainerEndpoint

    init() {
        service = makeService().0
        endpoint = ContainerEndpoint(service: service, roleArn: "arn:aws:iam::123456789012:role/imds-emulator",
                                     authorization: { .token("secret-token") })
    }

    func get(_ path: String, auth: String? = "secret-token", method: HTTPMethod = .get) -> Response {
        endpoint.handle(Request(method: method, target: path, headers: HTTPHeaders(auth.map { [("Authorization", $0)] } ?? [])))
    }

    @Test func servesTheCurrentSetAsJSON() throws {
        for path in ["/v1/credentials", "/v2/credentials/0b3e8a52-0a6c-4d2b-9a4b-6a1c2f3e4d5f"] {
            let r = get(path)
            #expect(r.status == 200)
            #expect(r.headers["Content-Type"] == "application/json")
            let doc = try JSONDecoder().decode(JSONValue.self, from: Data(r.body.utf8))
            let set = try #require(service.credentials)
            #expect(doc["AccessKeyId"] == .string(set.accessKeyId))
            #expect(doc["Token"] == .string(set.sessionToken))
            #expect(doc["Expiration"] == .string(set.expiration.iso8601))
            #expect(doc["AccountId"] == .string("123456789012"))
            #expect(doc["RoleArn"] == .string("arn:aws:iam::123456789012:role/imds-emulator"))
            #expect(r.annotation.accessKeyId == set.accessKeyId)
        }
    }

    @Test func checksTheTokenVerbatim() {
        #expect(get("/v1/credentials", auth: nil).status == 401)
        #expect(get("/v1/credentials", auth: "Bearer secret-token").status == 403)
        #expect(get("/v1/credentials", auth: "secret-token ").status == 403)
        #expect(get("/v1/credentials", auth: "secret-token").status == 200)
    }

    @Test func otherPathsAndMethods() {
        #expect(get("/v2/credentials/").status == 404)
        #expect(get("/v2/credentials/a b").status == 404)
        #expect(get("/latest/meta-data/").status == 404)
        #expect(get("/v1/credentials", method: .post).status == 405)
    }
}
