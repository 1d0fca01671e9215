import CLibevent
import Glibc
import IMDSCore

/// One listening socket, watched by a persistent read event on the loop. Each time the loop
/// reports it readable, one connection is accepted with accept4(2) (the new socket
/// non-blocking and close-on-exec in the same call, the client's address with it).
///
/// One, as nginx does by default, rather than until accept4 says there are no more as
/// libevent's `evconnlistener` does: that last, empty accept4 was a system call for every
/// connection of a client alone (an SDK asking now and then) and more than half a call per
/// connection under load. Connections still waiting keep the socket readable, so the next
/// pass of the loop takes the next one, beside whatever else became ready.
///
/// While connections arrive faster than any SDK makes them, the kernel holds each until its
/// request is there (`DeferAcceptPolicy`).
final class Listener {
    /// The new socket, the client's address, and when it was accepted (monotonic microseconds).
    typealias Accepted = (Int32, UnsafePointer<sockaddr>?, Int64) -> Void

    private var fd: Int32 = -1
    private var event: OpaquePointer?
    private let accepted: Accepted
    private let loop: EventLoop
    private var deferAccept = DeferAcceptPolicy()
    /// Whether the timer that ends deferral is set (one at a time).
    private var deferralCheckSet = false
    /// The address actually bound (port 0 becomes a real port).
    private(set) var address: ListenAddress

    init(loop: EventLoop, address: ListenAddress, accepted: @escaping Accepted) throws(EventError) {
        self.loop = loop
        self.accepted = accepted
        self.address = address
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard status == 0, let first = found else {
            throw EventError("cannot listen on \(address): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(found) }
        fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                    | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure() }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        // Backlog as nginx's default: bursts of new connections wait in the kernel, not refused.
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, Glibc.listen(fd, 511) == 0 else {
            let error = failure()
            Glibc.close(fd)
            fd = -1
            throw error
        }
        event = event_new(loop.base, fd, Int16(EV_READ | EV_PERSIST), { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<Listener>.fromOpaque(ctx).takeUnretainedValue().readable()
        }, Unmanaged.passUnretained(self).toOpaque())
        guard let event, event_add(event, nil) == 0 else {
            close()
            throw EventError("cannot listen on \(address): the event loop refused the socket")
        }
        self.address = ListenAddress(host: address.host, port: SocketOptions.localPort(fd) ?? address.port)
    }

    deinit {
        close()
    }

    /// Stops accepting and closes the socket; accepted connections are not affected.
    func close() {
        if let event { event_free(event) }
        event = nil
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func failure() -> EventError {
        EventError("cannot listen on \(address): \(String(cString: strerror(errno)))")
    }

    private func readable() {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let connection = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer in
                imds_accept4(fd, peer, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        guard connection >= 0 else {
            // Nothing waiting (the client gave up before it was taken), or a signal: nothing
            // to do. Anything else is most likely EMFILE.
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED { acceptFailed() }
            return
        }
        let now = Monotonic.microseconds()
        if let deferring = deferAccept.accepted(at: now) { setDeferral(deferring) }
        withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accepted(connection, $0, now) }
        }
    }

    /// Turns the kernel's deferral on or off for connections not yet accepted. While it is on,
    /// the rate is looked at every second even when nothing arrives, so that it ends soon
    /// after the load does rather than with the next (possibly silent) connection.
    private func setDeferral(_ on: Bool) {
        guard fd >= 0 else { return }
        // One second: the kernel's first SYN-ACK retransmission, after which a silent
        // connection is accepted anyway.
        var seconds: Int32 = on ? 1 : 0
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &seconds, socklen_t(MemoryLayout<Int32>.size))
        if on && !deferralCheckSet { checkDeferralLater() }
    }

    private func checkDeferralLater() {
        deferralCheckSet = true
        loop.schedule(after: Double(DeferAcceptPolicy.window) / 1_000_000) { [weak self] in
            guard let self else { return }
            self.deferralCheckSet = false
            guard self.fd >= 0, self.deferAccept.deferring else { return }
            if self.deferAccept.endsDeferral(at: Monotonic.microseconds()) {
                self.setDeferral(false)
            } else {
                self.checkDeferralLater()
            }
        }
    }

    /// accept(2) failed with something other than "nothing to accept": out of descriptors
    /// (EMFILE) most likely. The socket stays readable, so rather than spin on it the listener
    /// pauses for a moment while connections close.
    private func acceptFailed() {
        guard let event else { return }
        event_del(event)
        loop.schedule(after: 0.1) { [weak self] in
            if let event = self?.event { event_add(event, nil) }
        }
    }
}
