/// One HTTP request as the adapter read it off the socket; everything the core may look at.
public struct Request: Sendable {
    public var method: HTTPMethod
    /// The request target as sent, query string included.
    public var target: String
    public var headers: HTTPHeaders
    public var clientAddress: String
    public var clientPort: Int
    /// The request body; IMDS requests have none, control-API requests carry JSON.
    public var body: [UInt8]

    public init(method: HTTPMethod, target: String, headers: HTTPHeaders, clientAddress: String = "", clientPort: Int = 0,
                body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.body = body
    }
}
