/// What the container endpoint asks of a request's `Authorization` header.
public enum ContainerAuthorization: Sendable, Equatable {
    /// No token configured: every request is answered (the start warns about it).
    case none
    /// The token file's current content.
    case token(String)
    /// A token file is configured but now missing or empty: nothing is answered until it is
    /// back, rather than going on with a token its owner meant to withdraw.
    case unavailable(String)
}
