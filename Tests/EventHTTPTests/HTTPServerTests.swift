import Dispatch
import Glibc
import Testing
@testable import EventHTTP
import IMDSCore

/// The libevent adapter on a loopback port of the test's own: framing, the connection and
/// request limits, and the response modes the core asks for (delay, close, hold).
@Suite(.serialized) struct HTTPServerTests {
    /// Serves `respond` on 127.0.0.1 while `client(port, server)` runs on another thread;
    /// the loop runs on this one and stops when the client is done (or after ten seconds).
    func serving<T: Sendable>(limits: ServerLimits = ServerLimits(), holdLimit: Double = 0.9,
                              _ respond: @escaping (Request) -> Response,
                              client: @escaping @Sendable (Int, Remote) -> T) throws -> T {
        signal(SIGPIPE, SIG_IGN)  // as the emulator does: a peer gone is an error, not a signal
        let loop = try EventLoop()
        let inbox = try LoopInbox(loop: loop)
        let server = try HTTPServer(loop: loop, limits: limits, clock: ManualClock(Timestamp(secondsSinceEpoch: 1_795_298_400)),
                                    handler: respond, onAccess: nil)
        server.holdLimit = holdLimit
        let port = try server.listen(ListenAddress(host: "127.0.0.1", port: 0)).port
        let result = ResultBox<T>()
        let remote = Remote(inbox: inbox, server: server, loop: loop)
        DispatchQueue.global().async {
            result.value = client(port, remote)
            remote.stop()
        }
        loop.schedule(after: 10) { loop.stop() }
        loop.run()
        return try #require(result.value, "the client did not finish")
    }

    @Test func answersWithIMDSFramingAndCloses() throws {
        let reply = try serving({ _ in Response(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: "i-0123") }) { port, _ in
            exchange(port, "GET /latest/meta-data/instance-id HTTP/1.1\r\nHost: x\r\n\r\n")
        }
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n") && reply.hasSuffix("\r\n\r\ni-0123"))
        for header in ["Content-Type: text/plain", "Content-Length: 6", "Server: EC2ws", "Connection: close", "Date: "] {
            #expect(reply.contains("\r\n" + header), "\(header)")
        }
    }

    @Test func refusesPastTheLimitsWithTheirStatuses() throws {
        var limits = ServerLimits()
        limits.maxHeaders = 3
        limits.maxRequestLine = 64
        limits.maxBodyBytes = 8
        let replies = try serving(limits: limits, { _ in Response(status: 200) }) { port, _ in
            [exchange(port, "GET /\(String(repeating: "a", count: 100)) HTTP/1.1\r\n\r\n"),
             exchange(port, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"),
             exchange(port, "PUT / HTTP/1.1\r\nContent-Length: 20\r\n\r\n12345678901234567890")]
        }
        #expect(replies[0].hasPrefix("HTTP/1.1 414 URI Too Long"))
        #expect(replies[1].hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"))
        #expect(replies[2].hasPrefix("HTTP/1.1 413 "), "refused as soon as Content-Length says so")
    }

    @Test func oneConnectionPastTheLimitGets503AndTheOthersStay() throws {
        var limits = ServerLimits()
        limits.maxConnections = 2
        let reply = try serving(limits: limits, { _ in Response(status: 200, body: "ok") }) { port, _ in
            let idle = [connect(port), connect(port)]
            usleep(100_000)
            let refused = exchange(port, "GET / HTTP/1.1\r\n\r\n")
            idle.forEach { close($0) }
            usleep(100_000)
            return [refused, exchange(port, "GET / HTTP/1.1\r\n\r\n")]
        }
        #expect(reply[0].hasPrefix("HTTP/1.1 503 Service Unavailable"))
        #expect(reply[1].hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test func aDelayedAnswerComesAfterItsDelayAndACloseFaultSendsNothing() throws {
        let replies = try serving({ request in
            var r = Response(status: 200, body: "late")
            if request.target == "/delay" { r.delay = 0.3 } else { r.closeConnection = true }
            return r
        }) { port, _ in
            let started = Monotonic.seconds()
            let late = exchange(port, "GET /delay HTTP/1.1\r\n\r\n")
            return [late, String(Monotonic.seconds() - started >= 0.3), exchange(port, "GET /close HTTP/1.1\r\n\r\n")]
        }
        #expect(replies[0].hasSuffix("late") && replies[1] == "true")
        #expect(replies[2].isEmpty, "closed without an answer")
    }

    /// A request that arrives in pieces has its connection watched until it is complete;
    /// after that, bytes the client pipelines are not read as a second request, and the read
    /// deadline does not cut off an answer that comes later.
    @Test func aSlowRequestIsAnsweredOnceAndItsDeadlineEndsWithIt() throws {
        var limits = ServerLimits()
        limits.readTimeout = Seconds(0.3)
        let answered = Counter()
        let reply = try serving(limits: limits, { _ in
            answered.increment()
            var r = Response(status: 200, body: "once")
            r.delay = 0.5
            return r
        }) { port, _ in
            let fd = connect(port)
            send(fd, "GET /slow HTTP/1.1\r\n")
            usleep(100_000)
            send(fd, "\r\nGET /again HTTP/1.1\r\n\r\n")
            return receive(fd)
        }
        #expect(reply.hasPrefix("HTTP/1.1 200 OK") && reply.hasSuffix("once"), "\(reply)")
        #expect(answered.value == 1)
    }

    /// An answer larger than the socket takes goes on in the background and counts as in
    /// flight (shutdown waits for it) until it is written, or until the client that stopped
    /// reading runs out the write timeout.
    @Test func anAnswerInFlightEndsWrittenOrTimedOut() throws {
        var limits = ServerLimits()
        limits.writeTimeout = Seconds(0.2)
        let big = String(repeating: "a", count: 8 << 20)
        let (read, remote) = try serving(limits: limits, { _ in Response(status: 200, body: big) }) { port, remote in
            let read = exchange(port, "GET /all HTTP/1.1\r\n\r\n").utf8.count
            let fd = connect(port)
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            send(fd, "GET /stalled HTTP/1.1\r\n\r\n")
            usleep(700_000)  // read nothing while the write timeout runs out
            close(fd)
            return (read, remote)
        }
        #expect(read > 8 << 20)
        #expect(remote.server.repliesInFlight == 0, "an answer given up on still counts as in flight")
    }

    @Test func heldRequestsAreAnsweredWhenReleasedOrWithTheirFallbackInTime() throws {
        let published = Flag()
        let replies = try serving(holdLimit: 0.3, { _ in
            guard published.isSet else {
                var r = Response(status: 500, body: "none yet")
                r.holdForCredentials = true
                return r
            }
            return Response(status: 200, body: "credentials")
        }) { port, remote in
            let timedOut = exchange(port, "GET /held HTTP/1.1\r\n\r\n")
            let fd = connect(port)
            send(fd, "GET /held HTTP/1.1\r\n\r\n")
            usleep(100_000)
            published.set()
            remote.releaseHeld()
            return [timedOut, receive(fd)]
        }
        #expect(replies[0].hasPrefix("HTTP/1.1 500") && replies[0].hasSuffix("none yet"))
        #expect(replies[1].hasPrefix("HTTP/1.1 200") && replies[1].hasSuffix("credentials"))
    }
}

/// The server and its loop, reached from the client thread through the loop's inbox (the
/// closures run on the loop thread, which is what the unchecked conformance promises).
struct Remote: @unchecked Sendable {
    let inbox: LoopInbox
    let server: HTTPServer
    let loop: EventLoop
    func releaseHeld() { inbox.post { [self] in server.releaseHeld() } }
    func stop() { inbox.post { [self] in loop.stop() } }
}

final class ResultBox<T>: @unchecked Sendable { var value: T? }

final class Flag: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var value = false
    var isSet: Bool { lock.wait(); defer { lock.signal() }; return value }
    func set() { lock.wait(); value = true; lock.signal() }
}

final class Counter: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var count = 0
    var value: Int { lock.wait(); defer { lock.signal() }; return count }
    func increment() { lock.wait(); count += 1; lock.signal() }
}

func connect(_ port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return fd
}

func send(_ fd: Int32, _ text: String) {
    _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
}

/// Everything until the server closes (or five seconds pass).
func receive(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        bytes += buffer.prefix(n)
    }
    close(fd)
    return String(decoding: bytes, as: UTF8.self)
}

func exchange(_ port: Int, _ request: String) -> String {
    let fd = connect(port)
    send(fd, request)
    return receive(fd)
}
