import CLibeventOpenSSL
import Glibc
import IMDSCore

/// One request and its answer over one connection to one address, on an event base of its
/// own run on the calling thread. The caller is the refresh worker, which waits for the
/// answer anyway; the emulator's loop never waits on STS, and the two loops share nothing (no
/// locks, no hand-off), which is simpler than moving the call onto the main loop.
///
/// Each wait has a limit and each limit is named when it is hit: the TCP connect and the TLS
/// handshake may each take `connectTimeout`, the whole call ends at `deadline`.
final class HTTPExchange {
    struct Failure: Error {
        var message: String
        /// No connection was made, so another address of the host may still answer.
        var beforeConnecting = false
    }

    struct Limits {
        var connectTimeout: Double
        /// `Monotonic.seconds()` at which the whole call ends.
        var deadline: Double
        /// The whole call's time, for messages.
        var timeout: Double
        var maxResponseBytes: Int
    }

    private enum Stage { case connecting, handshaking, exchanging }

    private let target: HTTPTarget
    private let address: ResolvedAddress
    private let request: [UInt8]
    private let tls: TLSContext?
    private let limits: Limits
    private let reader: ResponseReader
    private let base: OpaquePointer
    private var timer: OpaquePointer?
    private var writable: OpaquePointer?
    /// The socket until a bufferevent owns it.
    private var fd: Int32 = -1
    private var stream: OpaquePointer?
    /// Owned by `stream`; kept to read the certificate check's result.
    private var ssl: OpaquePointer?
    private var stage = Stage.connecting
    private var timerEndsCall = false
    private var outcome: Result<Void, Failure>?
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    static func run(target: HTTPTarget, address: ResolvedAddress, request: [UInt8], tls: TLSContext?,
                    limits: Limits) -> Result<(status: Int, body: [UInt8]), Failure> {
        guard let base = event_base_new() else { return .failure(Failure(message: "cannot create an event base")) }
        let exchange = HTTPExchange(target: target, address: address, request: request, tls: tls, limits: limits, base: base)
        exchange.start()
        if exchange.outcome == nil { event_base_dispatch(base) }
        exchange.release()
        // Runs the bufferevent's finalizer, which closes the socket and frees the SSL.
        event_base_free(base)
        switch exchange.outcome {
        case .success: return .success((exchange.reader.status, exchange.reader.body))
        case .failure(let failure): return .failure(failure)
        case nil: return .failure(Failure(message: "the exchange with \(target.authority) ended without an answer"))
        }
    }

    private init(target: HTTPTarget, address: ResolvedAddress, request: [UInt8], tls: TLSContext?, limits: Limits, base: OpaquePointer) {
        self.target = target
        self.address = address
        self.request = request
        self.tls = tls
        self.limits = limits
        self.reader = ResponseReader(limit: limits.maxResponseBytes)
        self.base = base
    }

    private var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    private static func from(_ context: UnsafeMutableRawPointer?) -> HTTPExchange? {
        context.map { Unmanaged<HTTPExchange>.fromOpaque($0).takeUnretainedValue() }
    }

    private func start() {
        timer = event_new(base, -1, 0, { _, _, context in HTTPExchange.from(context)?.timerFired() }, context)
        guard timer != nil else { return fail("cannot create a timer") }
        arm()
        fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return fail(connectFailure(errno)) }
        if address.connect(fd) == 0 { return connected() }
        guard errno == EINPROGRESS else { return fail(connectFailure(errno)) }
        writable = event_new(base, fd, Int16(EV_WRITE), { _, _, context in HTTPExchange.from(context)?.connectFinished() }, context)
        guard let writable, event_add(writable, nil) == 0 else { return fail("cannot watch the connection to \(target.authority)") }
    }

    private func connectFinished() {
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0 { error = errno }
        guard error == 0 else { return fail(connectFailure(error)) }
        connected()
    }

    private func connected() {
        let options = Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)
        if let tls {
            let ssl: OpaquePointer
            do { ssl = try tls.connection(to: target) } catch { return fail(error.message) }
            let made = tls.openssl.bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_CONNECTING, options)
            // Past its first allocation a failing libevent has already freed the SSL and
            // closed the socket, so neither is touched again either way.
            fd = -1
            guard let made else { return fail("cannot start TLS with \(target.authority)") }
            tls.openssl.bufferevent_openssl_set_allow_dirty_shutdown(made, 1)
            self.ssl = ssl
            stream = made
            stage = .handshaking
        } else {
            guard let made = bufferevent_socket_new(base, fd, options) else { return fail("cannot set up the connection to \(target.authority)") }
            fd = -1
            stream = made
            stage = .exchanging
        }
        guard let stream else { return }
        arm()
        bufferevent_setcb(stream, { _, context in HTTPExchange.from(context)?.readable() }, nil,
                          { _, what, context in HTTPExchange.from(context)?.happened(Int32(what)) }, context)
        guard bufferevent_enable(stream, Int16(EV_READ | EV_WRITE)) == 0,
              bufferevent_write(stream, request, request.count) == 0 else {
            return fail("cannot send the request to \(target.authority)")
        }
    }

    /// Sets the timer to the current stage's limit: the connect or handshake limit, or the
    /// end of the whole call when that comes first or the request is out.
    private func arm() {
        guard let timer else { return }
        let now = Monotonic.seconds()
        var until = limits.deadline
        timerEndsCall = true
        if stage != .exchanging, now + limits.connectTimeout < limits.deadline {
            until = now + limits.connectTimeout
            timerEndsCall = false
        }
        let wait = max(0, until - now)
        var interval = timeval(tv_sec: Int(wait), tv_usec: Int((wait - wait.rounded(.down)) * 1_000_000))
        event_add(timer, &interval)
    }

    private func timerFired() {
        if timerEndsCall {
            return fail("no answer from \(target.authority) within \(Self.seconds(limits.timeout))", beforeConnecting: stage == .connecting)
        }
        switch stage {
        case .connecting:
            fail("cannot connect to \(target.authority) (\(address.text)) within \(Self.seconds(limits.connectTimeout))", beforeConnecting: true)
        case .handshaking:
            fail("the TLS handshake with \(target.authority) did not finish within \(Self.seconds(limits.connectTimeout))")
        case .exchanging:
            fail("no answer from \(target.authority) within \(Self.seconds(limits.timeout))")
        }
    }

    private func readable() {
        guard let stream, let input = bufferevent_get_input(stream) else { return }
        while outcome == nil, evbuffer_get_length(input) > 0 {
            let count = chunk.withUnsafeMutableBytes { evbuffer_remove(input, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            settle(chunk.withUnsafeBytes { reader.read(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) })
        }
    }

    private func happened(_ what: Int32) {
        if what & BEV_EVENT_CONNECTED != 0 {
            stage = .exchanging
            return arm()
        }
        if what & BEV_EVENT_EOF != 0 {
            guard stage == .exchanging else { return fail("\(target.authority) closed the connection during the TLS handshake") }
            readable()
            guard outcome == nil else { return }
            let progress = reader.readEnd()
            return progress == .needMore ? fail("\(target.authority) closed the connection before the answer was complete") : settle(progress)
        }
        if what & BEV_EVENT_ERROR != 0 {
            let code = errno
            if let tls, let reason = TLSFailure.reason(tls.openssl, ssl: ssl, stream: stream, host: target.host) {
                let step = stage == .handshaking ? "TLS handshake" : "TLS connection"
                return fail("the \(step) with \(target.authority) failed: \(reason)")
            }
            fail("the connection to \(target.authority) failed (\(Self.systemReason(code)))")
        }
    }

    private func settle(_ progress: ResponseReader.Progress) {
        switch progress {
        case .needMore: return
        case .complete: finish(.success(()))
        case .tooLarge: fail("the answer from \(target.authority) is too large (over \(limits.maxResponseBytes) bytes); not read")
        case .malformed(let why): fail("\(target.authority) sent a malformed HTTP answer (\(why))")
        }
    }

    private func connectFailure(_ code: Int32) -> Failure {
        Failure(message: "cannot connect to \(target.authority) (\(address.text)): \(Self.systemReason(code))", beforeConnecting: true)
    }

    private func fail(_ message: String, beforeConnecting: Bool = false) {
        finish(.failure(Failure(message: message, beforeConnecting: beforeConnecting)))
    }

    private func fail(_ failure: Failure) { finish(.failure(failure)) }

    private func finish(_ result: Result<Void, Failure>) {
        guard outcome == nil else { return }
        outcome = result
        event_base_loopbreak(base)
    }

    /// Frees what this exchange made on the base, before the base itself goes.
    private func release() {
        if let stream { bufferevent_free(stream) }
        if fd >= 0 { close(fd) }
        if let writable { event_free(writable) }
        if let timer { event_free(timer) }
        stream = nil
        writable = nil
        timer = nil
        fd = -1
    }

    private static func systemReason(_ code: Int32) -> String {
        code == 0 ? "closed unexpectedly" : String(cString: strerror(code))
    }

    /// `10s`, `0.5s`
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}
