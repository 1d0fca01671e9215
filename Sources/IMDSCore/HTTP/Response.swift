/// What the core answers. The adapter adds the transport framing every IMDS response carries
/// (`Content-Length`, `Date`, `Server: EC2ws`, `Connection: close`) and writes it.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: String
    /// IP TTL / hop limit to set on the reply packets; EC2 does this for token PUTs only.
    public var hopLimit: Int?
    /// What the access log should say about this exchange beyond the HTTP facts.
    public var annotation: AccessAnnotation
    /// With `--lazy`, a credential request that came before the first set: the adapter may
    /// hold it briefly and ask again once a set is published, sending this response only if
    /// none arrives in time.
    public var holdForCredentials = false
    /// Seconds to wait before answering (a delay fault).
    public var delay: Double?
    /// Close the connection instead of answering (a close fault).
    public var closeConnection = false

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: String = "", hopLimit: Int? = nil,
                annotation: AccessAnnotation = AccessAnnotation()) {
        self.status = status
        self.headers = headers
        self.body = body
        self.hopLimit = hopLimit
        self.annotation = annotation
    }

    public var reason: String { status.reason }
}

/// The parts of an access record only the core knows.
public struct AccessAnnotation: Sendable, Equatable {
    public var imdsVersion: IMDSVersion
    public var role: String?
    public var accessKeyId: String?
    /// Why credentials could not be served.
    public var error: String?
    /// The fault the control API applied, if any.
    public var fault: String?
    /// What kind of path was asked for; for metrics.
    public var pathClass: PathClass?

    public init(imdsVersion: IMDSVersion = .none, role: String? = nil, accessKeyId: String? = nil, error: String? = nil) {
        self.imdsVersion = imdsVersion
        self.role = role
        self.accessKeyId = accessKeyId
        self.error = error
    }
}

/// How a request was authorised: with an IMDSv2 session token, tokenless (IMDSv1), or not at all.
public enum IMDSVersion: String, Sendable {
    case v1, v2, none
}
