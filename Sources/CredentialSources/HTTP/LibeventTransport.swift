import FoundationEssentials
import IMDSCore

/// HTTPS to STS through libevent's bufferevent_openssl: OpenSSL checks the certificate and
/// that it is for the endpoint's host, TLS 1.2 at least; plain http only where the
/// configuration allows it (loopback). The answer is returned as it is: a redirect is never
/// followed (it would carry the signed request, `Authorization` included, to another host),
/// and an answer larger than STS ever sends is refused while it arrives, never read into
/// memory. Errors say what failed (resolving, connecting, the certificate, a time limit, the
/// size) and never carry the request's headers.
///
/// Each address of the host is tried in turn until one accepts the connection, all within
/// `timeout`. Writes to a closed socket raise SIGPIPE, which the emulator ignores.
public struct LibeventTransport: HTTPTransport {
    /// The whole call: connecting, the handshake, sending and the answer.
    public var timeout: Double
    /// Each TCP connect and the TLS handshake.
    public var connectTimeout: Double
    /// STS answers are a few kilobytes.
    public var maxResponseBytes: Int
    /// CA certificates (PEM) trusted besides the system's, for a private CA.
    public var caFile: String?

    public init(timeout: Double = 10, connectTimeout: Double = 5, maxResponseBytes: Int = 1 << 20, caFile: String? = nil) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.caFile = caFile
    }

    public func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialSourceError) -> (status: Int, body: [UInt8]) {
        let deadline = Monotonic.seconds() + timeout
        let target = try HTTPTarget(url)
        let request = try HTTPRequestMessage.bytes(method: method, target: target, headers: headers, body: body)
        let tls = target.usesTLS ? try TLSContext(caFile: caFile) : nil
        let limits = HTTPExchange.Limits(connectTimeout: connectTimeout, deadline: deadline, timeout: timeout,
                                         maxResponseBytes: maxResponseBytes)
        var failure = HTTPExchange.Failure(message: "no answer from \(target.authority) within \(HTTPExchange.seconds(timeout))")
        for address in try ResolvedAddress.resolve(target) where Monotonic.seconds() < deadline {
            switch HTTPExchange.run(target: target, address: address, request: request, tls: tls, limits: limits) {
            case .success(let answer):
                return answer
            case .failure(let refused) where refused.beforeConnecting:
                failure = refused
            case .failure(let failed):
                throw CredentialSourceError(failed.message)
            }
        }
        throw CredentialSourceError(failure.message)
    }
}
