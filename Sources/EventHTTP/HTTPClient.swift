import CLibevent
import Glibc
import IMDSCore

/// A one-request HTTP client over libevent's own, for `imds-emulator check`: the health check
/// must work in the slim runtime image, which has libevent and no other HTTP stack.
public enum HTTPClient {
    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: String
    }

    /// Sends one request to `url` (http only) and waits at most `timeout` seconds for the reply.
    public static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [],
                            timeout: Int = 2) throws(EventError) -> Reply {
        guard let uri = evhttp_uri_parse(url) else { throw EventError("\(url) is not a URL") }
        defer { evhttp_uri_free(uri) }
        guard let scheme = evhttp_uri_get_scheme(uri).map({ String(cString: $0) }), scheme == "http",
              let host = evhttp_uri_get_host(uri).map({ String(cString: $0) }) else {
            throw EventError("\(url) is not an http:// URL")
        }
        let port = evhttp_uri_get_port(uri) < 0 ? 80 : Int(evhttp_uri_get_port(uri))
        var target = evhttp_uri_get_path(uri).map { String(cString: $0) } ?? "/"
        if target.isEmpty { target = "/" }

        guard let base = event_base_new() else { throw EventError("cannot create an event base") }
        defer { event_base_free(base) }
        guard let conn = evhttp_connection_base_new(base, nil, host, UInt16(port)) else {
            throw EventError("cannot connect to \(host):\(port)")
        }
        defer { evhttp_connection_free(conn) }
        evhttp_connection_set_timeout(conn, Int32(timeout))
        evhttp_connection_set_retries(conn, 0)

        let result = ReplyBox()
        guard let req = evhttp_request_new({ req, ctx in
            guard let ctx else { return }
            let box = Unmanaged<ReplyBox>.fromOpaque(ctx).takeUnretainedValue()
            box.done = true
            guard let req, evhttp_request_get_response_code(req) > 0 else { return }
            let headers = HTTPHeaders(evhttp_request_get_input_headers(req))
            var body = [UInt8]()
            if let buffer = evhttp_request_get_input_buffer(req) {
                body = [UInt8](repeating: 0, count: evbuffer_get_length(buffer))
                _ = body.withUnsafeMutableBytes { evbuffer_copyout(buffer, $0.baseAddress, $0.count) }
            }
            box.reply = Reply(status: Int(evhttp_request_get_response_code(req)), headers: headers,
                              body: String(decoding: body, as: UTF8.self))
        }, Unmanaged.passUnretained(result).toOpaque()) else {
            throw EventError("cannot create a request")
        }
        evhttp_request_set_error_cb(req, { error, ctx in
            guard let ctx else { return }
            Unmanaged<ReplyBox>.fromOpaque(ctx).takeUnretainedValue().error = error
        })
        let out = evhttp_request_get_output_headers(req)
        evhttp_add_header(out, "Host", host.contains(":") ? "[\(host)]" : host)
        evhttp_add_header(out, "User-Agent", "imds-emulator-check")
        for (name, value) in headers { evhttp_add_header(out, name, value) }
        guard evhttp_make_request(conn, req, command(method), target) == 0 else {
            throw EventError("cannot send a request to \(url)")
        }
        while !result.done {
            if event_base_loop(base, EVLOOP_ONCE) != 0 { break }
        }
        guard let reply = result.reply else {
            switch result.error {
            case EVREQ_HTTP_TIMEOUT: throw EventError("no answer from \(host):\(port) within \(timeout)s")
            case EVREQ_HTTP_EOF: throw EventError("\(host):\(port) refused or closed the connection")
            default: throw EventError("no valid HTTP answer from \(host):\(port)")
            }
        }
        return reply
    }

    private static func command(_ method: HTTPMethod) -> evhttp_cmd_type {
        switch method {
        case .put: return EVHTTP_REQ_PUT
        case .head: return EVHTTP_REQ_HEAD
        case .post: return EVHTTP_REQ_POST
        case .delete: return EVHTTP_REQ_DELETE
        default: return EVHTTP_REQ_GET
        }
    }
}

private final class ReplyBox {
    var done = false
    var reply: HTTPClient.Reply?
    var error: evhttp_request_error?
}
