import CLibevent
import Glibc
import IMDSCore

/// An IMDS listener on libevent's core: connections accepted by `Listener`, requests read by
/// `RequestParser` (nodejs/http-parser), `Request` values in and `Response` values out.
/// Everything protocol-specific happens in the core; this file moves bytes, keeps the limits,
/// adds the framing every IMDS response carries, and times the exchange for the access log.
///
/// The state touched on every connection is marked `@exclusivity(unchecked)`: only the loop's
/// thread touches it, through calls that never reach back into the same property, so the
/// runtime's check of overlapping access (about 100 instructions per access, several per
/// request) finds nothing. The compiler's static check still applies.
public final class HTTPServer {
    public typealias Handler = (Request) -> Response
    /// For handlers that answer later (a rotation waiting on STS); call the reply once.
    public typealias AsyncHandler = (Request, @escaping (Response) -> Void) -> Void
    public typealias AccessHandler = (AccessRecord) -> Void

    private let loop: EventLoop
    private let handler: AsyncHandler
    /// The same handler when it answers at once (IMDS, the container endpoint): called
    /// directly, a request costs no reply closure (two allocations).
    private var answerNow: Handler?
    /// Nil when no log, journal or metric wants access records: then none is built.
    private let onAccess: AccessHandler?
    private let clock: any WallClock
    private let limits: ServerLimits
    private let readTimeout: Int64
    @exclusivity(unchecked) private var gate: ConnectionGate
    private var listeners: [Listener] = []
    @exclusivity(unchecked) private var framing: ResponseFraming
    /// Every read of the loop lands here first; the parser keeps only what it needs.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
    /// Parsers of closed connections, ready for new ones: most of a parser's allocations are
    /// made once, not per request.
    @exclusivity(unchecked) private var spareParsers: [RequestParser] = []
    /// Requests answered (or ended without an answer) since the listener opened.
    @exclusivity(unchecked) public private(set) var requestsAnswered = 0
    /// Replies whose last byte has not been written yet.
    @exclusivity(unchecked) public private(set) var repliesInFlight = 0
    @exclusivity(unchecked) private var firstReads = FirstReadPolicy()
    /// The last client's address and its text (`text(of:)`).
    @exclusivity(unchecked) private var lastPeer: (address: PeerAddress, text: String)?
    /// Requests held until credentials arrive (`--lazy`), oldest first.
    private var held: [HeldRequest] = []
    /// How long a request may be held: under the SDKs' one-second timeout.
    public var holdLimit = 0.9

    private struct HeldRequest {
        var connection: Connection
        var request: Request
        var fallback: Response
    }

    public convenience init(loop: EventLoop, limits: ServerLimits = ServerLimits(), clock: any WallClock,
                            handler: @escaping Handler, onAccess: AccessHandler?) throws(EventError) {
        try self.init(loop: loop, limits: limits, clock: clock, serverHeader: "EC2ws",
                      respond: { request, reply in reply(handler(request)) }, onAccess: onAccess)
        answerNow = handler
    }

    /// `serverHeader` is `EC2ws` for IMDS, the emulator's own name for the control API.
    public init(loop: EventLoop, limits: ServerLimits = ServerLimits(), clock: any WallClock, serverHeader: String,
                respond: @escaping AsyncHandler, onAccess: AccessHandler?) throws(EventError) {
        self.loop = loop
        self.handler = respond
        self.onAccess = onAccess
        self.clock = clock
        self.limits = limits
        readTimeout = Int64(limits.readTimeout.value * 1_000_000)
        gate = ConnectionGate(limit: limits.maxConnections, perClientLimit: limits.perClientLimit)
        framing = ResponseFraming(serverHeader: serverHeader)
    }

    deinit {
        scratch.deallocate()
        framing.free()
    }

    /// Binds one address and returns the one actually bound (port 0 becomes a real port).
    @discardableResult
    public func listen(_ address: ListenAddress) throws(EventError) -> ListenAddress {
        let listener = try Listener(loop: loop, address: address) { [unowned self] fd, address, now in
            self.accepted(fd, from: address, at: now)
        }
        listeners.append(listener)
        return listener.address
    }

    /// Connections open now, and those refused so far for being past a connection limit.
    public var openConnections: Int { gate.open }
    public var refusedConnections: Int { gate.refused }

    /// Closes the listening sockets; connections already accepted are still served.
    public func stopAccepting() {
        for listener in listeners { listener.close() }
        listeners.removeAll()
    }

    /// Answers the held requests again, now that the core may have credentials for them.
    public func releaseHeld() {
        let waiting = held
        held.removeAll()
        for h in waiting {
            handler(h.request) { [weak self] response in
                self?.finish(h.connection, h.request, response.holdForCredentials ? h.fallback : response)
            }
        }
    }

    // MARK: - Connections

    private func accepted(_ fd: Int32, from address: UnsafePointer<sockaddr>?, at started: Int64) {
        let peer = PeerAddress(address)
        if let reason = gate.admit(peer) {
            refuse(fd, peer: peer, because: reason)
            return
        }
        let parser: RequestParser
        if let spare = spareParsers.popLast() {
            spare.reset()
            parser = spare
        } else {
            parser = RequestParser(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes)
        }
        let connection = Connection(server: self, fd: fd, peer: peer, started: started, readTimeout: readTimeout, parser: parser)
        // Held until `close`; libevent only has an unretained pointer to it.
        _ = Unmanaged.passRetained(connection)
        if firstReads.readAtOnce() {
            readable(connection, atAccept: true)
            firstReads.record(foundRequest: !connection.isWaitingToRead)
        } else {
            connection.waitToRead(loop: loop, now: started)
        }
    }

    func readable(_ connection: Connection, atAccept: Bool = false) {
        switch connection.read(into: scratch, atAccept: atAccept) {
        case .request:
            requestArrived(on: connection)
            stopReading(connection)
        case .refuse(let status):
            finish(connection, partialRequest(on: connection), ErrorPage.response(HTTPStatus(status)))
            stopReading(connection)
        case .wait:
            connection.waitToRead(loop: loop, now: Monotonic.microseconds())
        case .gone:
            close(connection)
        }
    }

    /// After the request: whatever else the client sends is not read, and the read deadline
    /// no longer applies while an answer is prepared (held, delayed, after STS). Nothing of
    /// the loop ran since the request was read, so waiting until now misses nothing, and a
    /// connection answered at once is already closed, its event freed with it.
    private func stopReading(_ connection: Connection) {
        if !connection.isClosed { connection.stopReading() }
    }

    func timedOut(_ connection: Connection) {
        close(connection)
    }

    func written(_ connection: Connection) {
        close(connection)
    }

    /// Also the end of an answer that went on in the background, all written or not (a
    /// client that stopped reading and ran out the write timeout).
    private func close(_ connection: Connection) {
        guard !connection.isClosed else { return }
        if connection.answerInFlight { repliesInFlight -= 1 }
        connection.close()
        gate.closed(connection.peer)
        // Reset when taken, not here: the request may still be in use (the answer being
        // finished), and emptying its parts now would copy them rather than reuse them.
        if spareParsers.count < 64 { spareParsers.append(connection.parser) }
        Unmanaged.passUnretained(connection).release()
    }

    // MARK: - Requests

    private func requestArrived(on connection: Connection) {
        let request = request(on: connection)
        if let refusal = limits.refusal(of: request) {
            finish(connection, request, refusal)
            return
        }
        if let answerNow {
            answer(connection, request, answerNow(request))
            return
        }
        // The connection stays open until the answer is written, so answering later (held,
        // delayed, after STS) is safe; a client that left meanwhile just gets nothing.
        handler(request) { [weak self] response in
            self?.answer(connection, request, response)
        }
    }

    private func answer(_ connection: Connection, _ request: Request, _ response: Response) {
        if response.holdForCredentials, holdLimit > 0 {
            held.append(HeldRequest(connection: connection, request: request, fallback: response))
            loop.schedule(after: holdLimit) { [weak self] in self?.expireHeld() }
        } else if let delay = response.delay, delay > 0 {
            var now = response
            now.delay = nil
            loop.schedule(after: delay) { [weak self] in self?.finish(connection, request, now) }
        } else {
            finish(connection, request, response)
        }
    }

    private func request(on connection: Connection) -> Request {
        connection.parser.request(clientAddress: text(of: connection.peer), clientPort: connection.peer.port)
    }

    /// The address as text, formatted once for a run of connections from the same client
    /// (nearly always the case: a sidecar's app, a host's processes on loopback).
    private func text(of peer: PeerAddress) -> String {
        // `==` takes an IPv4 client and its IPv4-mapped IPv6 form for one; their texts differ.
        if let last = lastPeer, last.address == peer, last.address.isIPv6 == peer.isIPv6 { return last.text }
        let text = peer.text
        lastPeer = (peer, text)
        return text
    }

    /// What is known of a request the adapter refuses before it is complete, for the log.
    private func partialRequest(on connection: Connection) -> Request {
        var request = request(on: connection)
        if request.target.isEmpty { request.target = "-" }
        return request
    }

    /// Sends the fallback of every request held for `holdLimit`, then waits for the next one.
    /// libevent measures timers from the time it cached at the start of the loop iteration,
    /// so a timer may fire a little before a request's own limit: it is then simply re-armed.
    private func expireHeld() {
        let now = Monotonic.microseconds()
        let limit = Int64(holdLimit * 1_000_000)
        while let first = held.first, now - first.connection.started >= limit {
            held.removeFirst()
            finish(first.connection, first.request, first.fallback)
        }
        if let first = held.first {
            let wait = Double(limit - (now - first.connection.started)) / 1_000_000
            loop.schedule(after: max(0.001, wait)) { [weak self] in self?.expireHeld() }
        }
    }

    /// Logs the exchange, then writes the answer: a client that has read its answer finds
    /// the exchange in the access log already.
    private func finish(_ connection: Connection, _ request: Request, _ response: Response) {
        requestsAnswered &+= 1
        // A close fault, or a client gone while its answer waited: the connection ends without one.
        let answered = !response.closeConnection && !connection.isClosed
        let head = request.method == .head
        let now = clock.now()
        if let onAccess {
            onAccess(AccessRecord(
                time: now, client: request.clientAddress, port: request.clientPort,
                method: request.method == .other ? "OTHER" : request.method.rawValue, path: request.target,
                status: answered ? response.status.code : 0, bytes: answered && !head ? response.body.utf8.count : 0,
                durationMicroseconds: Int(Monotonic.microseconds() - (connection.requestBegan ?? connection.started)),
                userAgent: request.headers["User-Agent"] ?? "", annotation: response.annotation))
        }
        guard answered else {
            close(connection)
            return
        }
        if let hops = response.hopLimit { HopLimit.apply(connection.fd, hops, peer: connection.peer) }
        let bytes = framing.head(of: response, now: now, http10: connection.parser.isHTTP10)
        if connection.write(head: bytes, body: head ? "" : response.body, loop: loop, timeout: limits.writeTimeout.value) {
            close(connection)
        } else {
            repliesInFlight += 1
        }
    }

    /// A connection past a connection limit: a 503 written straight to the new socket, which
    /// is then closed, logged like any other answer.
    private func refuse(_ fd: Int32, peer: PeerAddress, because reason: String) {
        let response = ErrorPage.response(503)
        let now = clock.now()
        let head = framing.head(of: response, now: now)
        var body = response.body
        body.withUTF8 { body in
            var out = Array(head)
            out.append(contentsOf: body)
            _ = send(fd, out, out.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
        // A request that came with the connection is read away first: closing a socket with
        // unread bytes resets the connection, and the client could lose the 503 to the reset.
        _ = recv(fd, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT))
        Glibc.close(fd)
        guard let onAccess else { return }
        var annotation = AccessAnnotation()
        annotation.error = "connection refused: \(reason)"
        onAccess(AccessRecord(time: now, client: peer.text, port: peer.port, method: "-", path: "-",
                              status: 503, bytes: response.body.utf8.count, durationMicroseconds: 0, userAgent: "",
                              annotation: annotation))
    }
}
