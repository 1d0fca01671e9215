import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What STS answered, read from its XML: the `Credentials` element of AssumeRole or
/// GetSessionToken, the assumed role's ARN, or an `ErrorResponse`.
public struct STSResponse: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String
    public var expiration: String
    public var assumedRoleArn: String?

    /// Parses a 2xx body; nil when the credentials are not all there.
    public static func parse(_ body: [UInt8]) -> STSResponse? {
        let fields = XMLFields.collect(body)
        guard let key = fields["Credentials/AccessKeyId"], let secret = fields["Credentials/SecretAccessKey"],
              let token = fields["Credentials/SessionToken"], let expiration = fields["Credentials/Expiration"],
              !key.isEmpty, !secret.isEmpty, !token.isEmpty else { return nil }
        return STSResponse(accessKeyId: key, secretAccessKey: secret, sessionToken: token, expiration: expiration,
                           assumedRoleArn: fields["AssumedRoleUser/Arn"])
    }
}

/// An STS `ErrorResponse`: `Code` such as `AccessDenied`, `Message`, `RequestId`.
public struct STSErrorResponse: Sendable, Equatable {
    public var code: String
    public var message: String
    public var requestId: String?

    public static func parse(_ body: [UInt8]) -> STSErrorResponse? {
        let fields = XMLFields.collect(body)
        guard let code = fields["Error/Code"] else { return nil }
        return STSErrorResponse(code: code, message: fields["Error/Message"] ?? "", requestId: fields["RequestId"])
    }

    /// Errors that another attempt with the same request can cure.
    public var isRetryable: Bool {
        ["Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure",
         "InternalError", "IDPCommunicationError", "RequestTimeout"].contains(code)
    }
}

/// Leaf element texts keyed by their last two element names (`Credentials/AccessKeyId`),
/// which identifies every field STS responses carry without caring for the wrapper names.
enum XMLFields {
    static func collect(_ body: [UInt8]) -> [String: String] {
        let delegate = Collector()
        let parser = XMLParser(data: Data(body))
        parser.delegate = delegate
        parser.shouldProcessNamespaces = true
        _ = parser.parse()
        return delegate.fields
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var fields: [String: String] = [:]
        private var stack: [String] = []
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(elementName)
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            let key = stack.suffix(2).joined(separator: "/")
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty, fields[key] == nil { fields[key] = value }
            if stack.count >= 1, fields[elementName] == nil, !value.isEmpty { fields[elementName] = value }
            stack.removeLast()
            text = ""
        }
    }
}
