import _CryptoExtras
import Crypto
import FoundationEssentials
import SwiftASN1
@_spi(CMS) import X509

/// Signs the instance identity document the three ways EC2 does, so that verifiers (openssl,
/// Vault's AWS auth, SPIRE's aws_iid) can be pointed at the emulator's certificate:
/// `signature` (RSA over the document's SHA-256, base64), `pkcs7` and `rsa2048` (PKCS#7
/// SignedData holding the document, base64 without PEM armour). EC2 uses a DSA key with
/// SHA-1 for `pkcs7`; here one RSA-2048 key with SHA-256 signs all three, which the same
/// verification commands accept.
public struct IdentitySigner: Sendable {
    public let privateKey: _RSA.Signing.PrivateKey
    public let certificate: Certificate

    public init(privateKey: _RSA.Signing.PrivateKey, certificate: Certificate) throws(IdentityKeyError) {
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw IdentityKeyError("the certificate does not belong to the private key")
        }
        self.privateKey = privateKey
        self.certificate = certificate
    }

    /// A new 2048-bit key and a self-signed certificate naming it, valid for ten years from `now`.
    public static func generate(now: Timestamp, region: String) throws(IdentityKeyError) -> IdentitySigner {
        do {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let name = try DistinguishedName {
                CountryName("US")
                OrganizationName("imds-emulator")
                CommonName("imds-emulator instance identity (\(region))")
            }
            let start = Date(timeIntervalSince1970: now.wholeSeconds.secondsSinceEpoch - 86400)
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                notValidBefore: start, notValidAfter: start.addingTimeInterval(10 * 365 * 86400),
                issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption,
                extensions: Certificate.Extensions {}, issuerPrivateKey: .init(key))
            return try IdentitySigner(privateKey: key, certificate: certificate)
        } catch let error as IdentityKeyError {
            throw error
        } catch {
            throw IdentityKeyError("could not make a signing key: \(error)")
        }
    }

    /// Reads a PEM private key (PKCS#1 or PKCS#8 RSA) and a PEM certificate.
    public init(keyPEM: String, certificatePEM: String) throws(IdentityKeyError) {
        let key: _RSA.Signing.PrivateKey
        let certificate: Certificate
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw IdentityKeyError("the key is not a PEM RSA private key of 2048 bits or more")
        }
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw IdentityKeyError("the certificate is not a PEM X.509 certificate")
        }
        try self.init(privateKey: key, certificate: certificate)
    }

    public var keyPEM: String { privateKey.pemRepresentation }

    public var certificatePEM: String {
        (try? certificate.serializeAsPEM().pemString) ?? ""
    }

    /// The three documents of `dynamic/instance-identity/`, over `document` as served.
    public func signatures(of document: String, at now: Timestamp) throws(IdentityKeyError) -> IdentitySignatures {
        let bytes = Array(document.utf8)
        do {
            let raw = try privateKey.signature(for: SHA256.hash(data: bytes), padding: .insecurePKCS1v1_5)
            let cms = try CMS.sign(bytes, signatureAlgorithm: .sha256WithRSAEncryption, certificate: certificate,
                                   privateKey: .init(privateKey),
                                   signingTime: Date(timeIntervalSince1970: now.wholeSeconds.secondsSinceEpoch),
                                   detached: false)
            let signed = Self.lines(Data(cms).base64EncodedString())
            return IdentitySignatures(signature: Self.lines(raw.rawRepresentation.base64EncodedString()),
                                      pkcs7: signed, rsa2048: signed)
        } catch {
            throw IdentityKeyError("could not sign the identity document: \(error)")
        }
    }

    /// Base64 in lines of 64 characters with no final newline, as EC2 serves these values.
    static func lines(_ base64: String) -> String {
        var out: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            out.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return out.joined(separator: "\n")
    }
}

/// The signed forms of one identity document.
public struct IdentitySignatures: Sendable, Equatable {
    public enum Part: String, Sendable, CaseIterable {
        case signature, pkcs7, rsa2048
    }

    public var signature: String
    public var pkcs7: String
    public var rsa2048: String

    public subscript(part: Part) -> String {
        switch part {
        case .signature: return signature
        case .pkcs7: return pkcs7
        case .rsa2048: return rsa2048
        }
    }
}

/// A signing key or certificate that cannot be used, said in one line.
public struct IdentityKeyError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
