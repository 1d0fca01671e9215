/// One line of the access log. It holds the access key id when credentials were served, and
/// by construction nothing else secret: no field can carry a secret key, a session token or an
/// IMDSv2 token (the request's token header is never copied into it).
public struct AccessRecord: Sendable {
    public var time: Timestamp
    public var client: String
    public var port: Int
    public var method: String
    public var path: String
    public var status: Int
    public var bytes: Int
    public var durationMicroseconds: Int
    public var userAgent: String
    public var annotation: AccessAnnotation

    public init(time: Timestamp, client: String, port: Int, method: String, path: String, status: Int,
                bytes: Int, durationMicroseconds: Int, userAgent: String, annotation: AccessAnnotation) {
        self.time = time
        self.client = client
        self.port = port
        self.method = method
        self.path = path
        self.status = status
        self.bytes = bytes
        self.durationMicroseconds = durationMicroseconds
        self.userAgent = userAgent
        self.annotation = annotation
    }

    /// The JSON line, without its newline.
    public var jsonLine: String { json.compact }

    /// The record as a JSON object; the journal adds its sequence number to it.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("time", .string(time.iso8601Milliseconds)),
            ("client", .string(client)),
            ("port", .int(port)),
            ("method", .string(method)),
            ("path", .string(path)),
            ("status", .int(status)),
            ("bytes", .int(bytes)),
            ("duration_us", .int(durationMicroseconds)),
            ("user_agent", .string(userAgent)),
            ("imds_version", .string(annotation.imdsVersion.rawValue)),
        ]
        if let role = annotation.role { members.append(("role", .string(role))) }
        if let key = annotation.accessKeyId { members.append(("access_key_id", .string(key))) }
        if let error = annotation.error { members.append(("error", .string(error))) }
        if let fault = annotation.fault { members.append(("fault", .string(fault))) }
        return .object(members)
    }
}
