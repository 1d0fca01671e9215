/// Bounds on what one client may make the server hold. IMDS requests are a request line and a
/// few short headers with no body, so the defaults are small.
public struct ServerLimits: Sendable {
    /// Read and write timeout of a connection, in seconds.
    public var timeoutSeconds = 10
    public var maxHeaderBytes = 8192
    /// Token PUTs carry no body; some HTTP stacks send an empty chunked one.
    public var maxBodyBytes = 1024

    public init() {}
}
