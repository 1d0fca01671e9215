/// A control-API request that cannot be carried out, with the status it answers.
public struct ControlAPIError: Error, Equatable {
    public var status: HTTPStatus
    public var message: String

    public static func badRequest(_ message: String) -> ControlAPIError { ControlAPIError(status: 400, message: message) }
    public static func notFound(_ message: String) -> ControlAPIError { ControlAPIError(status: 404, message: message) }

    public init(status: HTTPStatus, message: String) {
        self.status = status
        self.message = message
    }
}
