import Foundation
import Testing
@testable import CredentialSources
@testable import IMDSCore

/// Our signer against botocore's, on the vectors `Fixtures/make_sigv4_vectors.py` wrote.
@Suite struct SigV4SignerTests {
    struct Vector: Decodable {
        var name, method, url, region, service, time, body, authorization: String
        var token: String?
        var headers: [[String]]
        var access_key_id, secret_access_key: String
    }

    static func vectors() throws -> [Vector] {
        let url = try #require(Bundle.module.url(forResource: "sigv4-vectors", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode([Vector].self, from: Data(contentsOf: url))
    }

    @Test func matchesBotocoreOnEveryVector() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count >= 4)
        for v in vectors {
            let url = try #require(URLComponents(string: v.url))
            let host = url.port.map { "\(url.host!):\($0)" } ?? url.host!
            let query = (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }
            let signer = SigV4Signer(keys: AWSKeys(accessKeyId: v.access_key_id, secretAccessKey: v.secret_access_key,
                                                   sessionToken: v.token),
                                     region: v.region, service: v.service)
            let headers = signer.sign(method: v.method, host: host, path: url.percentEncodedPath, query: query,
                                      headers: v.headers.map { ($0[0], $0[1]) }, body: Array(v.body.utf8),
                                      at: try #require(Timestamp(iso8601: v.time)))
            let authorization = headers.first { $0.0 == "Authorization" }?.1
            #expect(authorization == v.authorization, "\(v.name)")
            #expect(headers.contains { $0.0 == "X-Amz-Date" && $0.1.count == 16 })
            #expect(headers.contains { $0.0 == "X-Amz-Security-Token" } == (v.token != nil))
        }
    }

    @Test func encodesLikeRFC3986() {
        #expect(SigV4Signer.uriEncode("a b/c~d_e.f-g+h=i:j") == "a%20b%2Fc~d_e.f-g%2Bh%3Di%3Aj")
        #expect(SigV4Signer.uriEncode("é") == "%C3%A9")
    }
}
