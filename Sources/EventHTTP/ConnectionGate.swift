import CLibevent
import Glibc
import IMDSCore

/// Counts one listener's open connections, refuses new ones past the limit, and closes those
/// whose request has not arrived within the read timeout (libevent's own read timeout starts
/// again with every byte, which lets a slowloris client keep a connection for hours).
///
/// libevent 2.1's evhttp has no connection cap (`evhttp_set_max_connections` came in 2.2) and
/// no accept hook, but it asks `evhttp_set_bevcb` for each new connection's bufferevent and
/// calls a connection's close callback exactly once when the connection goes. So the gate
/// makes the bufferevent, and once evhttp has built its connection around it (still in the
/// same pass of the loop, before a byte of it is read) either registers the close callback or
/// has the connection refused and frees it.
final class ConnectionGate {
    let limit: Int
    /// Connections one client address may hold, so that one client cannot take every slot.
    let perClientLimit: Int
    private(set) var open = 0
    private var openByClient: [String: Int] = [:]
    private var clientOf: [OpaquePointer: String] = [:]
    private(set) var refused = 0
    /// Microseconds an accepted connection has to deliver its whole request.
    private let requestTimeout: Int64
    private var deadlines = RequestDeadlines<OpaquePointer>()
    private var sweepEvent: OpaquePointer?
    /// Answers a refused connection on its socket, saying which limit; evhttp frees the
    /// connection right after.
    private let refuse: (OpaquePointer, Int32, String) -> Void
    /// Bufferevents handed to evhttp in this pass, each holding a reference of ours so that
    /// nothing evhttp does with them before `settle` can free them under us.
    private var pending: [OpaquePointer] = []
    private var settleEvent: OpaquePointer?

    init(http: OpaquePointer, base: OpaquePointer, limit: Int, perClientLimit: Int, requestTimeout: Double,
         refuse: @escaping (OpaquePointer, Int32, String) -> Void) {
        self.limit = limit
        self.perClientLimit = perClientLimit
        self.requestTimeout = Int64(requestTimeout * 1_000_000)
        self.refuse = refuse
        let me = Unmanaged.passUnretained(self).toOpaque()
        settleEvent = event_new(base, -1, 0, { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().settle()
        }, me)
        // Deadlines are checked a few times per timeout (at most once a second), so a late
        // connection goes within a quarter of the timeout after its deadline.
        sweepEvent = event_new(base, -1, Int16(EV_PERSIST), { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().sweep()
        }, me)
        var period = timeval(min(1, max(0.005, requestTimeout / 4)))
        if let sweepEvent { event_add(sweepEvent, &period) }
        evhttp_set_bevcb(http, { base, ctx in
            guard let base, let ctx else { return nil }
            return Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().bufferevent(on: base)
        }, me)
    }

    deinit {
        for bev in pending { bufferevent_decref(bev) }
        if let settleEvent { event_free(settleEvent) }
        if let sweepEvent { event_free(sweepEvent) }
    }

    /// evhttp has read a whole request on `connection`: its deadline no longer applies.
    func requestArrived(on connection: OpaquePointer) {
        deadlines.forget(connection)
    }

    private func bufferevent(on base: OpaquePointer) -> OpaquePointer? {
        // What evhttp would have made itself.
        guard let bev = bufferevent_socket_new(base, -1, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) else { return nil }
        bufferevent_incref(bev)
        pending.append(bev)
        if pending.count == 1, let settleEvent { event_active(settleEvent, EV_TIMEOUT, 0) }
        return bev
    }

    private func settle() {
        // Nothing below accepts a connection, so `pending` does not change while it is read.
        defer { pending.removeAll(keepingCapacity: true) }
        for bev in pending {
            // evhttp registers its connection as the bufferevent's callback argument; none
            // means it already gave the connection up.
            var argument: UnsafeMutableRawPointer?
            bufferevent_getcb(bev, nil, nil, nil, &argument)
            if let argument {
                let connection = OpaquePointer(argument)
                let client = Self.peer(connection)
                let clientOpen = openByClient[client, default: 0]
                if open < limit && clientOpen < perClientLimit {
                    open += 1
                    openByClient[client] = clientOpen + 1
                    clientOf[connection] = client
                    deadlines.start(connection, deadline: Monotonic.microseconds() + requestTimeout)
                    evhttp_connection_set_closecb(connection, { connection, ctx in
                        guard let ctx else { return }
                        Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().closed(connection)
                    }, Unmanaged.passUnretained(self).toOpaque())
                } else {
                    refused += 1
                    refuse(connection, bufferevent_getfd(bev), open < limit
                           ? "max-connections-per-client (\(perClientLimit)) reached for \(client)"
                           : "max-connections (\(limit)) reached")
                    evhttp_connection_free(connection)
                }
            }
            bufferevent_decref(bev)
        }
    }

    private func closed(_ connection: OpaquePointer?) {
        open -= 1
        guard let connection else { return }
        deadlines.forget(connection)
        if let client = clientOf.removeValue(forKey: connection) {
            let left = openByClient[client, default: 1] - 1
            openByClient[client] = left > 0 ? left : nil
        }
    }

    /// The client's address as evhttp noted it at accept (no system call).
    private static func peer(_ connection: OpaquePointer) -> String {
        var host: UnsafeMutablePointer<CChar>?
        var port: UInt16 = 0
        evhttp_connection_get_peer(connection, &host, &port)
        return host.map { String(cString: $0) } ?? ""
    }

    private func sweep() {
        for connection in deadlines.expire(now: Monotonic.microseconds()) {
            evhttp_connection_free(connection)
        }
    }
}
