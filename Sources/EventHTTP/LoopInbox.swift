import CLibevent
import Glibc
import Synchronization

/// Hands work from other threads to the event loop: a locked queue of closures and a pipe
/// whose read end the loop watches. The refresh worker posts finished credential sets here,
/// so every state change still happens on the loop thread and the loop never waits on STS.
public final class LoopInbox: @unchecked Sendable {
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let readFD: Int32
    private let writeFD: Int32
    private var event: OpaquePointer?

    public init(loop: EventLoop) throws(EventError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw EventError("cannot create the loop's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
        event = event_new(loop.base, readFD, Int16(EV_READ | EV_PERSIST), { _, _, ctx in
            guard let ctx else { return }
            Unmanaged<LoopInbox>.fromOpaque(ctx).takeUnretainedValue().drain()
        }, Unmanaged.passUnretained(self).toOpaque())
        if let event { event_add(event, nil) }
    }

    deinit {
        if let event { event_free(event) }
        close(readFD)
        close(writeFD)
    }

    /// Runs `work` on the loop thread soon. Safe from any thread.
    public func post(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        var byte: UInt8 = 1
        // A full pipe already guarantees a wake-up; EAGAIN is fine.
        _ = write(writeFD, &byte, 1)
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
        let work = pending.withLock { pending in
            let taken = pending
            pending = []
            return taken
        }
        for item in work { item() }
    }
}
