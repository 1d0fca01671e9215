/// Bounds on what one client may make a listener hold. IMDS requests are a request line and a
/// few short headers with no body, so the defaults are small; each is a configuration key
/// (`max-connections`, `max-header-bytes`, …) so that a host with unusual clients can widen it.
public struct ServerLimits: Sendable, Equatable {
    /// Open connections per listener; past it new ones get a 503 and are closed at once.
    /// Above the 1,000 half-open connections a slowloris client is expected to try.
    public var maxConnections = 4096
    /// Of those, what one client address may hold; nil: three quarters of `maxConnections`.
    /// Every local process shares 127.0.0.1, so the default only keeps a quarter of the slots
    /// for other addresses rather than squeezing the busy apps of a host behind one address.
    public var maxConnectionsPerClient: Int?

    /// The cap the listener applies.
    public var perClientLimit: Int { maxConnectionsPerClient ?? max(1, maxConnections - maxConnections / 4) }
    /// The request line and all header lines together; 400 past it, while the request arrives.
    public var maxHeaderBytes = 8192
    public var maxHeaders = 64
    public var maxRequestLine = 4096
    /// Token PUTs carry no body; some HTTP stacks send an empty chunked one.
    public var maxBodyBytes = 1024
    /// Time allowed to receive a whole request (and the longest silence within it). SDKs send
    /// the whole request at once and give up on IMDS after one second, so a request that takes
    /// longer is not from a real client.
    public var readTimeout = Seconds(5)
    /// Idle time allowed while the answer is being sent.
    public var writeTimeout = Seconds(5)

    public init() {}

    /// The answer for a whole request that breaks a limit checked on the finished request
    /// (header count, request-line length), or nil when it is within bounds.
    public func refusal(of request: Request) -> Response? {
        if request.headers.count > maxHeaders {
            return ErrorPage.response(431)
        }
        // METHOD SP target SP HTTP/1.1
        if request.method.rawValue.utf8.count + request.target.utf8.count + 10 > maxRequestLine {
            return ErrorPage.response(414)
        }
        return nil
    }
}
