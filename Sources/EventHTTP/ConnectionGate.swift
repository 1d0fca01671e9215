import CLibevent
import Glibc

/// Counts one listener's open connections and refuses new ones past the limit.
///
/// libevent 2.1's evhttp has no connection cap (`evhttp_set_max_connections` came in 2.2) and
/// no accept hook, but it asks `evhttp_set_bevcb` for each new connection's bufferevent and
/// calls a connection's close callback exactly once when the connection goes. So the gate
/// makes the bufferevent, and once evhttp has built its connection around it (still in the
/// same pass of the loop, before a byte of it is read) either registers the close callback or
/// has the connection refused and frees it.
final class ConnectionGate {
    let limit: Int
    private(set) var open = 0
    private(set) var refused = 0
    /// Answers a refused connection on its socket; evhttp frees the connection right after.
    private let refuse: (OpaquePointer, Int32) -> Void
    /// Bufferevents handed to evhttp in this pass, each holding a reference of ours so that
    /// nothing evhttp does with them before `settle` can free them under us.
    private var pending: [OpaquePointer] = []
    private var settleEvent: OpaquePointer?

    init(http: OpaquePointer, base: OpaquePointer, limit: Int, refuse: @escaping (OpaquePointer, Int32) -> Void) {
        self.limit = limit
        self.refuse = refuse
        let me = Unmanaged.passUnretained(self).toOpaque()
        settleEvent = event_new(base, -1, 0, { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().settle()
        }, me)
        evhttp_set_bevcb(http, { base, ctx in
            guard let base, let ctx else { return nil }
            return Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().bufferevent(on: base)
        }, me)
    }

    deinit {
        for bev in pending { bufferevent_decref(bev) }
        if let settleEvent { event_free(settleEvent) }
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
                if open < limit {
                    open += 1
                    evhttp_connection_set_closecb(connection, { _, ctx in
                        guard let ctx else { return }
                        Unmanaged<ConnectionGate>.fromOpaque(ctx).takeUnretainedValue().open -= 1
                    }, Unmanaged.passUnretained(self).toOpaque())
                } else {
                    refused += 1
                    refuse(connection, bufferevent_getfd(bev))
                    evhttp_connection_free(connection)
                }
            }
            bufferevent_decref(bev)
        }
    }
}
