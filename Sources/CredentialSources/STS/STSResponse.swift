import CExpat

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
/// Element names are taken without their namespace. A malformed document yields what was read
/// before the error, which then lacks the fields the callers require.
enum XMLFields {
    /// Put between a namespace URI and the local name by expat; never valid in a URI.
    private static let namespaceSeparator = CChar(UInt8(ascii: "|"))

    static func collect(_ body: [UInt8]) -> [String: String] {
        guard body.count < Int32.max, let parser = XML_ParserCreateNS(nil, namespaceSeparator) else { return [:] }
        defer { XML_ParserFree(parser) }
        let collector = Collector()
        withExtendedLifetime(collector) {
            XML_SetUserData(parser, Unmanaged.passUnretained(collector).toOpaque())
            XML_SetElementHandler(parser, { data, name, _ in
                guard let data, let name else { return }
                Collector.from(data).start(XMLFields.localName(name))
            }, { data, name in
                guard let data, let name else { return }
                Collector.from(data).end(XMLFields.localName(name))
            })
            XML_SetCharacterDataHandler(parser, { data, chars, length in
                guard let data, let chars, length > 0 else { return }
                Collector.from(data).characters(UnsafeBufferPointer(start: chars, count: Int(length)))
            })
            _ = body.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { XML_Parse(parser, $0.baseAddress, Int32($0.count), 1) }
            }
        }
        return collector.fields
    }

    /// `uri|Name` or `Name` → `Name`.
    private static func localName(_ name: UnsafePointer<CChar>) -> String {
        let full = String(cString: name)
        guard let bar = full.lastIndex(of: "|") else { return full }
        return String(full[full.index(after: bar)...])
    }

    private final class Collector {
        var fields: [String: String] = [:]
        private var stack: [String] = []
        private var text: [UInt8] = []

        static func from(_ data: UnsafeMutableRawPointer) -> Collector {
            Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
        }

        func start(_ name: String) {
            stack.append(name)
            text.removeAll(keepingCapacity: true)
        }

        /// expat hands over text in pieces (around entities and buffer ends), in UTF-8.
        func characters(_ chars: UnsafeBufferPointer<CChar>) {
            text.append(contentsOf: UnsafeRawBufferPointer(chars))
        }

        func end(_ name: String) {
            let key = stack.suffix(2).joined(separator: "/")
            let value = String(decoding: text, as: UTF8.self).trimmingWhitespace()
            if !value.isEmpty, fields[key] == nil { fields[key] = value }
            if fields[name] == nil, !value.isEmpty { fields[name] = value }
            if !stack.isEmpty { stack.removeLast() }
            text.removeAll(keepingCapacity: true)
        }
    }
}
