import FoundationEssentials
import IMDSCore

/// Calls STS's Query API (version 2011-06-15) with SigV4-signed form POSTs.
public struct STSClient: Sendable {
    public var endpoint: URL
    public var region: String
    public var transport: any HTTPTransport

    public init(endpoint: URL, region: String, transport: any HTTPTransport = LibeventTransport()) {
        self.endpoint = endpoint
        self.region = region
        self.transport = transport
    }

    /// The regional endpoint, which is where IMDS-style regional tokens come from.
    public static func defaultEndpoint(region: String) -> URL? {
        URL(string: "https://sts.\(region).\(RegionFacts.domain(region))/")
    }

    public func call(_ action: String, _ parameters: [(String, String)], keys: AWSKeys, at time: Timestamp) throws(CredentialSourceError) -> STSResponse {
        let form = ([("Action", action), ("Version", "2011-06-15")] + parameters)
            .map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        let body = Array(form.utf8)
        guard let host = endpoint.host else { throw CredentialSourceError("STS endpoint \(endpoint) has no host", isRetryable: false) }
        // As the transport sends it: an IPv6 literal in brackets, the port only when written.
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let hostHeader = endpoint.port.map { "\(bracketed):\($0)" } ?? bracketed
        let path = endpoint.path.isEmpty ? "/" : endpoint.path
        let signer = SigV4Signer(keys: keys, region: region, service: "sts")
        let headers = signer.sign(method: "POST", host: hostHeader, path: path,
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                  body: body, at: time)
        let (status, answer) = try transport.send(method: "POST", url: endpoint, headers: headers, body: body)
        // Following it would send the signed request, Authorization included, elsewhere.
        if (300..<400).contains(status) {
            throw CredentialSourceError("\(action): \(hostHeader) answered a redirect (HTTP \(status)); not followed: set sts-endpoint to the real endpoint")
        }
        if (200..<300).contains(status) {
            guard let response = STSResponse.parse(answer) else {
                throw CredentialSourceError("\(action): STS answered HTTP \(status) without credentials")
            }
            return response
        }
        if let error = STSErrorResponse.parse(answer) {
            let id = error.requestId.map { ", request id \($0)" } ?? ""
            throw CredentialSourceError("\(action): \(error.code): \(Self.oneLine(error.message)) (HTTP \(status)\(id))",
                                         isRetryable: error.isRetryable || status >= 500)
        }
        throw CredentialSourceError("\(action): STS answered HTTP \(status)", isRetryable: status >= 500 || status == 429)
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
