/// Request methods; anything the adapter cannot name arrives as `.other`.
public enum HTTPMethod: String, Sendable {
    case get = "GET"
    case head = "HEAD"
    case put = "PUT"
    case post = "POST"
    case delete = "DELETE"
    case options = "OPTIONS"
    case patch = "PATCH"
    case trace = "TRACE"
    case connect = "CONNECT"
    case other = "OTHER"
}
