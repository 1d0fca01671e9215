import CLibevent
import Glibc
import IMDSCore

/// The IMDS listener: libevent's evhttp turned into `Request` values in and `Response` values
/// out. Everything protocol-specific happens in the core; this file only moves bytes, adds the
/// framing every IMDS response carries, and times the exchange for the access log.
public final class HTTPServer {
    public typealias Handler = (Request) -> Response
    /// For handlers that answer later (a rotation waiting on STS); call the reply once.
    public typealias AsyncHandler = (Request, @escaping (Response) -> Void) -> Void
    public typealias AccessHandler = (AccessRecord) -> Void

    private let loop: EventLoop
    private let http: OpaquePointer
    private let handler: AsyncHandler
    private let serverHeader: String
    /// Nil when no log, journal or metric wants access records: then none is built.
    private let onAccess: AccessHandler?
    private let clock: any WallClock
    private let limits: ServerLimits
    private var gate: ConnectionGate?
    private var bound: [OpaquePointer] = []
    private var dateCache = DateHeaderCache()
    /// Replies handed to libevent whose last byte has not been written yet.
    public private(set) var repliesInFlight = 0
    /// Requests held until credentials arrive (`--lazy`), oldest first.
    private var held: [HeldRequest] = []
    /// How long a request may be held: under the SDKs' one-second timeout.
    public var holdLimit = 0.9

    private struct HeldRequest {
        var req: OpaquePointer
        var request: Request
        var started: Int64
        var fallback: Response
    }

    public convenience init(loop: EventLoop, limits: ServerLimits = ServerLimits(), clock: any WallClock,
                            handler: @escaping Handler, onAccess: AccessHandler?) throws(EventError) {
        try self.init(loop: loop, limits: limits, clock: clock, serverHeader: "EC2ws",
                      respond: { request, reply in reply(handler(request)) }, onAccess: onAccess)
    }

    /// `serverHeader` is `EC2ws` for IMDS, the emulator's own name for the control API.
    public init(loop: EventLoop, limits: ServerLimits = ServerLimits(), clock: any WallClock, serverHeader: String,
                respond: @escaping AsyncHandler, onAccess: AccessHandler?) throws(EventError) {
        guard let http = evhttp_new(loop.base) else { throw EventError("cannot create the HTTP server") }
        self.loop = loop
        self.http = http
        self.handler = respond
        self.serverHeader = serverHeader
        self.onAccess = onAccess
        self.clock = clock
        self.limits = limits
        let every = EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_POST.rawValue | EVHTTP_REQ_HEAD.rawValue
            | EVHTTP_REQ_PUT.rawValue | EVHTTP_REQ_DELETE.rawValue | EVHTTP_REQ_OPTIONS.rawValue
            | EVHTTP_REQ_TRACE.rawValue | EVHTTP_REQ_CONNECT.rawValue | EVHTTP_REQ_PATCH.rawValue
        // Let every method reach the core, which answers 405 the way IMDS does.
        evhttp_set_allowed_methods(http, UInt16(every))
        // The write timeout replaces this one when the answer is sent (see `send`).
        var readTimeout = timeval(limits.readTimeout.value)
        evhttp_set_timeout_tv(http, &readTimeout)
        evhttp_set_max_headers_size(http, limits.maxHeaderBytes)
        evhttp_set_max_body_size(http, limits.maxBodyBytes)
        evhttp_set_gencb(http, { req, ctx in
            guard let req, let ctx else { return }
            Unmanaged<HTTPServer>.fromOpaque(ctx).takeUnretainedValue().serve(req)
        }, Unmanaged.passUnretained(self).toOpaque())
        gate = ConnectionGate(http: http, base: loop.base, limit: limits.maxConnections,
                              perClientLimit: limits.perClientLimit,
                              requestTimeout: limits.readTimeout.value) { [unowned self] in
            self.refuse($0, socket: $1, because: $2)
        }
    }

    deinit {
        evhttp_free(http)
    }

    /// Binds one address and returns the one actually bound (port 0 becomes a real port).
    @discardableResult
    public func listen(_ address: ListenAddress) throws(EventError) -> ListenAddress {
        guard let socket = evhttp_bind_socket_with_handle(http, address.host, UInt16(address.port)) else {
            throw EventError("cannot listen on \(address): \(String(cString: strerror(errno)))")
        }
        bound.append(socket)
        let fd = evhttp_bound_socket_get_fd(socket)
        return ListenAddress(host: address.host, port: SocketOptions.localPort(fd) ?? address.port)
    }

    /// Connections open now, and those refused so far for being past `max-connections`.
    public var openConnections: Int { gate?.open ?? 0 }
    public var refusedConnections: Int { gate?.refused ?? 0 }

    /// Closes the listening sockets; connections already accepted are still served.
    public func stopAccepting() {
        for socket in bound { evhttp_del_accept_socket(http, socket) }
        bound.removeAll()
    }

    /// Answers the held requests again, now that the core may have credentials for them.
    public func releaseHeld() {
        let waiting = held
        held.removeAll()
        for h in waiting {
            handler(h.request) { [weak self] response in
                self?.finish(h.req, h.request, response.holdForCredentials ? h.fallback : response, started: h.started)
            }
        }
    }

    private func serve(_ req: OpaquePointer) {
        let started = Monotonic.microseconds()
        if let connection = evhttp_request_get_connection(req) { gate?.requestArrived(on: connection) }
        let request = Self.request(from: req)
        if let refusal = limits.refusal(of: request) {
            finish(req, request, refusal, started: started)
            return
        }
        // libevent keeps an unanswered request alive, and detaches it if the client goes away,
        // so answering later (held, delayed, after STS) is safe either way.
        handler(request) { [weak self] response in
            guard let self else { return }
            if response.holdForCredentials, self.holdLimit > 0 {
                self.held.append(HeldRequest(req: req, request: request, started: started, fallback: response))
                self.loop.schedule(after: self.holdLimit) { [weak self] in self?.expireHeld() }
            } else if let delay = response.delay, delay > 0 {
                var now = response
                now.delay = nil
                self.loop.schedule(after: delay) { [weak self] in self?.finish(req, request, now, started: started) }
            } else {
                self.finish(req, request, response, started: started)
            }
        }
    }

    /// Sends the fallback of every request held for `holdLimit`, then waits for the next one.
    /// libevent measures timers from the time it cached at the start of the loop iteration,
    /// so a timer may fire a little before a request's own limit: it is then simply re-armed.
    private func expireHeld() {
        let now = Monotonic.microseconds()
        let limit = Int64(holdLimit * 1_000_000)
        while let first = held.first, now - first.started >= limit {
            held.removeFirst()
            finish(first.req, first.request, first.fallback, started: first.started)
        }
        if let first = held.first {
            let wait = Double(limit - (now - first.started)) / 1_000_000
            loop.schedule(after: max(0.001, wait)) { [weak self] in self?.expireHeld() }
        }
    }

    private func finish(_ req: OpaquePointer, _ request: Request, _ response: Response, started: Int64) {
        let bytes: Int
        let status: Int
        if response.closeConnection {
            closeWithoutAnswer(req)
            (bytes, status) = (0, 0)
        } else {
            bytes = send(response, to: req, isHead: request.method == .head, peer: request.clientAddress)
            status = response.status.code
        }
        guard let onAccess else { return }
        onAccess(AccessRecord(
            time: clock.now(), client: request.clientAddress, port: request.clientPort,
            method: request.method == .other ? "OTHER" : request.method.rawValue, path: request.target, status: status, bytes: bytes,
            durationMicroseconds: Int(Monotonic.microseconds() - started),
            userAgent: request.headers["User-Agent"] ?? "", annotation: response.annotation))
    }

    /// Hands over every header of an answer: the core's, then the framing every IMDS response
    /// carries. Called once per answer, so it builds no array of its own.
    private func framed(_ response: Response, _ add: (String, String) -> Void) {
        for (name, value) in response.headers { add(name, value) }
        add("Content-Length", String(response.body.utf8.count))
        add("Date", dateCache.header(for: clock.now()))
        add("Server", serverHeader)
        add("Connection", "close")
    }

    private func send(_ response: Response, to req: OpaquePointer, isHead: Bool, peer: String) -> Int {
        let out = evhttp_request_get_output_headers(req)
        framed(response) { evhttp_add_header(out, $0, $1) }
        let body = response.body
        if !body.isEmpty {
            var body = body
            body.withUTF8 { buf in
                _ = evbuffer_add(evhttp_request_get_output_buffer(req), buf.baseAddress, buf.count)
            }
        }
        if let hops = response.hopLimit, let conn = evhttp_request_get_connection(req),
           let bev = evhttp_connection_get_bufferevent(conn) {
            HopLimit.apply(bufferevent_getfd(bev), hops, peer: peer)
        }
        if limits.writeTimeout != limits.readTimeout, let conn = evhttp_request_get_connection(req) {
            var writeTimeout = timeval(limits.writeTimeout.value)
            evhttp_connection_set_timeout_tv(conn, &writeTimeout)
        }
        repliesInFlight += 1
        evhttp_request_set_on_complete_cb(req, { _, ctx in
            guard let ctx else { return }
            Unmanaged<HTTPServer>.fromOpaque(ctx).takeUnretainedValue().repliesInFlight -= 1
        }, Unmanaged.passUnretained(self).toOpaque())
        evhttp_send_reply(req, Int32(response.status.code), response.reason, nil)
        return isHead ? 0 : body.utf8.count
    }

    /// A close fault: the socket is shut down first, so the reply libevent is then given (to
    /// release the request) never reaches the client, who sees the connection end.
    private func closeWithoutAnswer(_ req: OpaquePointer) {
        if let conn = evhttp_request_get_connection(req), let bev = evhttp_connection_get_bufferevent(conn) {
            shutdown(bufferevent_getfd(bev), Int32(SHUT_RDWR))
        }
        evhttp_send_reply(req, 500, "Closed", nil)
    }

    /// A connection past `max-connections`: a 503 written straight to the socket (no request
    /// has been read, so evhttp has nothing to reply to), logged like any other answer.
    private func refuse(_ connection: OpaquePointer, socket fd: Int32, because reason: String) {
        var host: UnsafeMutablePointer<CChar>?
        var port: UInt16 = 0
        evhttp_connection_get_peer(connection, &host, &port)
        let now = clock.now()
        let response = ErrorPage.response(503)
        var text = "HTTP/1.1 \(response.status)\r\n"
        framed(response) { text += "\($0): \($1)\r\n" }
        text += "\r\n" + response.body
        if fd >= 0 {
            text.withUTF8 { _ = Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        guard let onAccess else { return }
        var annotation = AccessAnnotation()
        annotation.error = "connection refused: \(reason)"
        onAccess(AccessRecord(time: now, client: host.map { String(cString: $0) } ?? "", port: Int(port), method: "-", path: "-",
                              status: 503, bytes: response.body.utf8.count, durationMicroseconds: 0, userAgent: "",
                              annotation: annotation))
    }

    private static func request(from req: OpaquePointer) -> Request {
        let headers = HTTPHeaders(evhttp_request_get_input_headers(req))
        var address = ""
        var port = 0
        if let conn = evhttp_request_get_connection(req) {
            var host: UnsafeMutablePointer<CChar>?
            var p: UInt16 = 0
            evhttp_connection_get_peer(conn, &host, &p)
            if let host { address = String(cString: host) }
            port = Int(p)
        }
        let target = evhttp_request_get_uri(req).map { String(cString: $0) } ?? "/"
        var body: [UInt8] = []
        if let input = evhttp_request_get_input_buffer(req), evbuffer_get_length(input) > 0 {
            body = [UInt8](repeating: 0, count: evbuffer_get_length(input))
            _ = body.withUnsafeMutableBytes { evbuffer_copyout(input, $0.baseAddress, $0.count) }
        }
        return Request(method: method(req), target: target, headers: headers, clientAddress: address, clientPort: port, body: body)
    }

    private static func method(_ req: OpaquePointer) -> HTTPMethod {
        switch evhttp_request_get_command(req) {
        case EVHTTP_REQ_GET: return .get
        case EVHTTP_REQ_HEAD: return .head
        case EVHTTP_REQ_PUT: return .put
        case EVHTTP_REQ_POST: return .post
        case EVHTTP_REQ_DELETE: return .delete
        case EVHTTP_REQ_OPTIONS: return .options
        case EVHTTP_REQ_PATCH: return .patch
        case EVHTTP_REQ_TRACE: return .trace
        case EVHTTP_REQ_CONNECT: return .connect
        default: return .other
        }
    }
}

/// The `Date` header changes once a second; formatting it once per second, not per request.
struct DateHeaderCache {
    private var second = -1.0
    private var value = ""

    mutating func header(for now: Timestamp) -> String {
        let whole = now.wholeSeconds.secondsSinceEpoch
        if whole != second {
            second = whole
            value = now.rfc1123
        }
        return value
    }
}
