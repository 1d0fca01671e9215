import CLibevent
import Glibc

/// One libevent event base: the single thread every request, timer and signal runs on.
///
/// Callbacks are Swift closures kept alive by the loop; libevent gets an unretained pointer
/// to a small box, the pattern memcached uses with its per-thread contexts.
public final class EventLoop {
    let base: OpaquePointer
    private var events: [OpaquePointer] = []
    /// Keeps signal handlers' closures alive as long as the loop.
    private var boxes: [CallbackBox] = []

    public init() throws(EventError) {
        // epoll's changelist folds the add/modify/delete calls one connection makes within a
        // pass of the loop into one epoll_ctl each; nothing here dup()s a descriptor, the
        // case the flag's documentation warns about.
        guard let config = event_config_new() else { throw EventError("cannot create an event base") }
        defer { event_config_free(config) }
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST.rawValue))
        guard let base = event_base_new_with_config(config) else { throw EventError("cannot create an event base") }
        self.base = base
    }

    deinit {
        for ev in events { event_free(ev) }
        event_base_free(base)
    }

    /// Runs until `stop()`; returns when the loop exits.
    public func run() {
        event_base_dispatch(base)
    }

    public func stop() {
        event_base_loopbreak(base)
    }

    /// Calls `body` on the loop after `delay` seconds, once. libevent frees the one-shot
    /// event itself; the closure box is released when it fires.
    public func schedule(after delay: Double, _ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(CallbackBox(body))
        var tv = timeval(delay)
        let status = event_base_once(base, -1, Int16(EV_TIMEOUT), { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<CallbackBox>.fromOpaque(ctx).takeRetainedValue().fire()
        }, box.toOpaque(), &tv)
        if status != 0 { box.release() }
    }

    /// Calls `body` on the loop each time `signal` arrives, instead of the default action.
    public func onSignal(_ signal: Int32, _ body: @escaping () -> Void) {
        let box = CallbackBox(body)
        boxes.append(box)
        let ev = event_new(base, signal, Int16(EV_SIGNAL | EV_PERSIST), { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<CallbackBox>.fromOpaque(ctx).takeUnretainedValue().fire()
        }, Unmanaged.passUnretained(box).toOpaque())
        guard let ev else { return }
        events.append(ev)
        event_add(ev, nil)
    }
}

final class CallbackBox {
    let body: () -> Void

    init(_ body: @escaping () -> Void) { self.body = body }

    func fire() { body() }
}

func timeval(_ seconds: Double) -> Glibc.timeval {
    let s = max(0, seconds)
    return Glibc.timeval(tv_sec: Int(s), tv_usec: Int((s - s.rounded(.down)) * 1_000_000))
}

/// A failure of the event machinery itself (no base, no socket): fatal at start.
public struct EventError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
