import _CryptoExtras
import Crypto
import FoundationEssentials
import Testing
import X509
@testable import IMDSCore

@Suite struct IdentitySignerTests {
    let dyn = "/latest/dynamic/instance-identity/"

    @Test func signaturesCoverTheServedDocumentAndAreMadeWhenFirstAskedFor() throws {
        let (service, _) = makeService()
        let t = token(service)
        #expect(get(service, dyn, token: t).body == "document")
        let made = Counter()
        service.signIdentity(makingKeyWith: { () throws(IdentityKeyError) in
            made.add()
            return try IdentitySigner.generate(now: testStart, region: "us-east-1")
        })
        #expect(get(service, dyn, token: t).body == "document\npkcs7\nrsa2048\nsignature")
        #expect(made.value == 0, "no key before a signature is asked for")
        let document = get(service, dyn + "document", token: t).body
        let signature = get(service, dyn + "signature", token: t).body
        #expect(made.value == 1)
        let lines: [Substring] = signature.split(separator: Character("\n"))
        #expect(lines.dropLast().allSatisfy { $0.count == 64 })
        let pem = try #require(service.identityCertificatePEM)
        #expect(made.value == 1, "the key is made once")
        let raw = try #require(Data(base64Encoded: signature.replacingEvery("\n", with: "")))
        let key = try #require(_RSA.Signing.PublicKey(try Certificate(pemEncoded: pem).publicKey))
        let sig = _RSA.Signing.RSASignature(rawRepresentation: raw)
        #expect(key.isValidSignature(sig, for: SHA256.hash(data: Array(document.utf8)), padding: .insecurePKCS1v1_5))
        #expect(!key.isValidSignature(sig, for: SHA256.hash(data: Array((document + " ").utf8)), padding: .insecurePKCS1v1_5))
        #expect(get(service, dyn + "pkcs7", token: t).body == get(service, dyn + "rsa2048", token: t).body)
    }

    @Test func aCertificateOfAnotherKeyIsRefused() throws {
        let a = try IdentitySigner.generate(now: testStart, region: "us-east-1")
        let b = try IdentitySigner.generate(now: testStart, region: "us-east-1")
        #expect(throws: IdentityKeyError("the certificate does not belong to the private key")) {
            try IdentitySigner(keyPEM: a.keyPEM, certificatePEM: b.certificatePEM)
        }
        #expect(throws: IdentityKeyError.self) { try IdentitySigner(keyPEM: "nope", certificatePEM: a.certificatePEM) }
        let again = try IdentitySigner(keyPEM: a.keyPEM, certificatePEM: a.certificatePEM)
        #expect(again.certificatePEM == a.certificatePEM)
    }
}

private final class Counter: @unchecked Sendable {
    private(set) var value = 0
    func add() { value += 1 }
}
