import CLibevent
import Glibc
import IMDSCore

/// One listening socket on libevent's `evconnlistener`, which accepts with accept4(2) (the
/// new socket non-blocking and close-on-exec in the same call) and hands each connection over
/// with the client's address, so serving a request needs no other call to learn it.
final class Listener {
    typealias Accepted = (Int32, UnsafePointer<sockaddr>?) -> Void

    private var listener: OpaquePointer?
    private let accepted: Accepted
    private let loop: EventLoop
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
        // Backlog as nginx's default: bursts of new connections wait in the kernel, not refused.
        let flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE
        listener = evconnlistener_new_bind(loop.base, { _, fd, address, _, ctx in
            guard let ctx else { return }
            Unmanaged<Listener>.fromOpaque(ctx).takeUnretainedValue().accepted(fd, address)
        }, Unmanaged.passUnretained(self).toOpaque(), flags, 511, first.pointee.ai_addr, Int32(first.pointee.ai_addrlen))
        guard let listener else {
            throw EventError("cannot listen on \(address): \(String(cString: strerror(errno)))")
        }
        evconnlistener_set_error_cb(listener) { listener, ctx in
            guard let ctx else { return }
            Unmanaged<Listener>.fromOpaque(ctx).takeUnretainedValue().acceptFailed()
        }
        self.address = ListenAddress(host: address.host, port: SocketOptions.localPort(evconnlistener_get_fd(listener)) ?? address.port)
    }

    deinit {
        close()
    }

    /// Stops accepting and closes the socket; accepted connections are not affected.
    func close() {
        if let listener { evconnlistener_free(listener) }
        listener = nil
    }

    /// accept(2) failed with something other than "nothing to accept": out of descriptors
    /// (EMFILE) most likely. The socket stays readable, so rather than spin on it the listener
    /// pauses for a moment while connections close.
    private func acceptFailed() {
        guard let listener else { return }
        evconnlistener_disable(listener)
        loop.schedule(after: 0.1) { [weak self] in
            if let listener = self?.listener { evconnlistener_enable(listener) }
        }
    }
}
