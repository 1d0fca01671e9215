extension IMDSService {
    /// What a fault rule makes of a request. Status faults answer before any token check,
    /// as an overloaded or broken service would; the others change the normal answer.
    func apply(_ rule: FaultRule, _ request: Request, _ path: RequestPath, _ pathClass: PathClass) -> Response {
        switch rule.action {
        case .status(let status, let delay):
            var response = ErrorPage.response(HTTPStatus(status))
            response.delay = delay.map { Double($0) / 1000 }
            return response
        case .delay(let ms):
            var response = route(request, path, pathClass)
            response.delay = Double(ms) / 1000
            return response
        case .close:
            var response = Response(status: 500)
            response.closeConnection = true
            return response
        case .malformed:
            var response = route(request, path, pathClass)
            response.body = String(response.body.prefix(response.body.count / 2))
            return response
        case .errorCode(let code):
            return Response(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]),
                            body: CredentialDocument.error(code: code, role: settings.role, at: clock.now()))
        }
    }
}
