import CLibevent
import Glibc
import IMDSCore

/// One accepted socket, from its first byte to its close. A request usually arrives whole
/// in the first read, so the common exchange is one read, one write and one close; the
/// socket is only registered with the loop when the client is slower than that (a read
/// that would block, an answer larger than the socket buffer).
final class Connection {
    enum ReadResult {
        case request
        case refuse(Int)
        /// Nothing more to read now; the request is not complete.
        case wait
        /// The client closed or the socket failed: close without an answer.
        case gone
    }

    let fd: Int32
    let peer: PeerAddress
    /// Monotonic microseconds at accept; the whole request must arrive by `deadline`.
    let started: Int64
    let deadline: Int64
    /// Monotonic microseconds when the request's first byte was read (the accept's time when
    /// it was there at once). The access log's duration counts from here, as nginx's
    /// `$request_time` does: a client's pause between connecting and sending is not the
    /// emulator's time.
    private(set) var requestBegan: Int64?
    let parser: RequestParser
    private(set) var isClosed = false
    private var event: OpaquePointer?
    private var eventFlags: Int16 = 0
    private var unsent: [UInt8] = []
    private var sentCount = 0
    private var continueSent = false
    /// An answer too large for one write went on in the background (`HTTPServer.repliesInFlight`).
    private(set) var answerInFlight = false
    /// Told when the socket is ready or its timeout runs out; it owns this connection.
    private unowned let server: HTTPServer

    init(server: HTTPServer, fd: Int32, peer: PeerAddress, started: Int64, readTimeout: Int64, parser: RequestParser) {
        self.server = server
        self.fd = fd
        self.peer = peer
        self.started = started
        deadline = started + readTimeout
        self.parser = parser
    }

    deinit {
        if let event { event_free(event) }
    }

    /// Reads what the socket has into the parser, using the loop's shared `scratch` buffer;
    /// `atAccept` when called in the same pass as the accept, whose time is then the first
    /// byte's (no clock read).
    func read(into scratch: UnsafeMutableRawBufferPointer, atAccept: Bool) -> ReadResult {
        while true {
            let n = recv(fd, scratch.baseAddress, scratch.count, 0)
            if n > 0 {
                if requestBegan == nil { requestBegan = atAccept ? started : Monotonic.microseconds() }
                switch parser.feed(UnsafeRawBufferPointer(rebasing: scratch[..<n])) {
                case .complete: return .request
                case .refuse(let status): return .refuse(status)
                case .needMore:
                    if n < scratch.count { return askForTheBody() }
                }
            } else if n == 0 {
                return .gone
            } else if errno == EINTR {
                continue
            } else {
                return errno == EAGAIN || errno == EWOULDBLOCK ? askForTheBody() : .gone
            }
        }
    }

    /// `Expect: 100-continue`: the client waits for this before it sends the body.
    private func askForTheBody() -> ReadResult {
        if parser.expectsContinue && !continueSent {
            continueSent = true
            let line = "HTTP/1.1 100 Continue\r\n\r\n"
            _ = line.utf8.withContiguousStorageIfAvailable { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        return .wait
    }

    /// Waits for more of the request, at most until the whole-request deadline: a client
    /// that sends a byte now and then (slowloris) still runs out of time.
    func waitToRead(loop: EventLoop, now: Int64) {
        let left = max(0, deadline - now)
        watch(loop: loop, flags: Int16(EV_READ | EV_PERSIST), timeout: Double(left) / 1_000_000)
    }

    /// Open and registered for the rest of its request.
    var isWaitingToRead: Bool { !isClosed && eventFlags & Int16(EV_READ) != 0 }

    /// The request is complete (or refused): whatever else the client sends is not read, and
    /// the read deadline no longer applies while the answer is prepared (held, delayed, STS).
    func stopReading() {
        if let event, eventFlags & Int16(EV_READ) != 0 {
            event_del(event)
            eventFlags = 0
        }
    }

    /// Writes the head and the body in one call; true when all of it went out at once (the
    /// common case). Otherwise the rest is copied and goes when the socket drains, each pause
    /// at most `timeout`, and the server is told at the end.
    func write(head: UnsafeRawBufferPointer, body: String, loop: EventLoop, timeout: Double) -> Bool {
        var body = body
        return body.withUTF8 { body in
            var parts = (iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress), iov_len: head.count),
                         iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count))
            let n = withUnsafeMutableBytes(of: &parts) { raw -> Int in
                var message = msghdr()
                message.msg_iov = raw.baseAddress?.assumingMemoryBound(to: iovec.self)
                message.msg_iovlen = body.isEmpty ? 1 : 2
                return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            }
            let total = head.count + body.count
            if n == total { return true }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                return true  // the client is gone: nothing more can be sent
            }
            unsent = Array(head) + Array(UnsafeRawBufferPointer(body))
            sentCount = max(0, n)
            answerInFlight = true
            watch(loop: loop, flags: Int16(EV_WRITE | EV_PERSIST), timeout: timeout)
            return false
        }
    }

    /// Closes the socket; nothing is read or written after this.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        // The loop uses epoll's changelist, so the removal this queues is made at the next
        // pass, after the close: it then fails (EBADF, or ENOENT when a socket accepted since
        // has the number), or folds into that socket's own registration, which libevent
        // retries as an ADD. libevent's epoll backend expects all three.
        if let event {
            event_free(event)
            self.event = nil
        }
        Glibc.close(fd)
        unsent = []
    }

    private func writable() {
        while sentCount < unsent.count {
            let n = unsent.withUnsafeBytes { all in
                send(fd, all.baseAddress.map { $0 + sentCount }, all.count - sentCount, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sentCount += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                break
            }
        }
        server.written(self)
    }

    private func watch(loop: EventLoop, flags: Int16, timeout: Double) {
        if let event, eventFlags != flags {
            event_del(event)
        }
        if event == nil {
            event = event_new(loop.base, fd, flags, Self.ready, Unmanaged.passUnretained(self).toOpaque())
        } else if eventFlags != flags, let event {
            event_assign(event, loop.base, fd, flags, Self.ready, Unmanaged.passUnretained(self).toOpaque())
        }
        eventFlags = flags
        guard let event else {
            server.timedOut(self)
            return
        }
        var tv = timeval(timeout)
        event_add(event, &tv)
    }

    private static let ready: event_callback_fn = { _, what, ctx in
        guard let ctx else { return }
        let connection = Unmanaged<Connection>.fromOpaque(ctx).takeUnretainedValue()
        if what & Int16(EV_TIMEOUT) != 0 {
            connection.server.timedOut(connection)
        } else if what & Int16(EV_WRITE) != 0 {
            connection.writable()
        } else {
            connection.server.readable(connection)
        }
    }
}
