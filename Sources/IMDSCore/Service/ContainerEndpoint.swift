/// The ECS / EKS Pod Identity container credentials endpoint (docs/imds-behaviour.md §6), served
/// from the same credential set as IMDS: `GET /v1/credentials` and `GET /v2/credentials/ID`.
public final class ContainerEndpoint: @unchecked Sendable {
    private let service: IMDSService
    private let roleArn: String
    /// What a request's `Authorization` must be, read from the token file when it changes.
    private let authorization: () -> ContainerAuthorization
    private let hostCheck: HostCheck

    public init(service: IMDSService, roleArn: String, hostCheck: HostCheck? = nil,
                authorization: @escaping () -> ContainerAuthorization) {
        self.service = service
        self.roleArn = roleArn
        self.hostCheck = (hostCheck ?? service.hostCheck).allowing(HostCheck.containerAddresses)
        self.authorization = authorization
    }

    public func handle(_ request: Request) -> Response {
        var annotation = AccessAnnotation()
        guard hostCheck.admits(request) else {
            annotation.error = "Host header \(request.headers["Host"] ?? "") is not one this emulator answers for"
            return Self.error(403, "AccessDenied", "Host not allowed", annotation)
        }
        let path = RequestPath(target: request.target).collapsed
        let parts = path.split(separator: "/")
        let known = path == "/v1/credentials"
            || (parts.count == 3 && parts[0] == "v2" && parts[1] == "credentials" && Self.isID(parts[2]))
        guard known else { return Self.error(404, "NotFound", "no credentials at \(path)", annotation) }
        guard request.method == .get || request.method == .head else {
            return Self.error(405, "MethodNotAllowed", "use GET", annotation)
        }
        switch authorization() {
        case .none:
            break
        case .unavailable(let why):
            annotation.error = why
            return Self.error(403, "InvalidToken", "the Authorization token is not valid", annotation)
        case .token(let expected):
            guard let given = request.headers["Authorization"] else {
                return Self.error(401, "NoAuthorization", "the Authorization header is missing", annotation)
            }
            guard ConstantTime.equal(given.utf8, expected.utf8) else {
                return Self.error(403, "InvalidToken", "the Authorization token is not valid", annotation)
            }
        }
        guard let set = service.credentials, service.canServeCredentials else {
            annotation.error = service.credentials == nil ? "no credentials fetched yet" : "credentials expired"
            return Self.error(500, "CredentialsUnavailable", "no valid credentials to serve", annotation)
        }
        annotation.role = service.settings.role
        annotation.accessKeyId = set.accessKeyId
        let body = JSONValue.object([
            ("AccessKeyId", .string(set.accessKeyId)),
            ("SecretAccessKey", .string(set.secretAccessKey)),
            ("Token", .string(set.sessionToken)),
            ("Expiration", .string(set.expiration.iso8601)),
            ("AccountId", .string(service.settings.instance.accountId)),
            ("RoleArn", .string(roleArn)),
        ]).compact
        return Response(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body, annotation: annotation)
    }

    private static func isID(_ s: Substring) -> Bool {
        !s.isEmpty && s.count <= 128 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// The ECS agent's error shape; clients look at the status, JS copies code and message.
    private static func error(_ status: HTTPStatus, _ code: String, _ message: String, _ annotation: AccessAnnotation) -> Response {
        var annotation = annotation
        if annotation.error == nil, status.code >= 400 { annotation.error = message }
        let body = JSONValue.object([("code", .string(code)), ("message", .string(message)), ("HTTPErrorCode", .int(status.code))]).compact
        return Response(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body, annotation: annotation)
    }
}
