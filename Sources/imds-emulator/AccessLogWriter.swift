import Dispatch
import Glibc
import IMDSCore
import Synchronization

/// Writes access records as JSON lines to stdout or a file, on a thread of its own: the event
/// loop only hands lines over, so a reader that stops reading (`serve | slow-consumer`) or a
/// stalled disk never holds up a request or a signal. The lines wait in a bounded queue; past
/// it they are dropped and counted, and the emulator warns and counts them in its metrics.
/// Reopening (SIGHUP, for logrotate) is queued between two lines, so none is lost or split.
///
/// When nothing waits and the log can take a line without blocking (poll(2) says so; a line
/// within PIPE_BUF goes into a pipe whole), the loop writes it itself, before the answer
/// leaves: a client that reads its answer and then the log finds its request there, and no
/// thread has to be woken.
final class AccessLogWriter: @unchecked Sendable {
    /// Bytes of lines that may wait for the writer: about ten thousand requests.
    static let capacity = 4 << 20

    private enum Item {
        case lines([UInt8])
        case switchTo(Int32)
    }

    private struct Queue {
        var items: [Item] = []
        var bytes = 0
        var dropped = 0
        var closing = false
        /// The writer thread is writing lines it took; a direct write now could overtake them.
        var writing = false
        /// Where lines go now (a reopen switches it once the lines before are written).
        var fd: Int32 = -1
    }

    private let path: String?
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let drained = DispatchSemaphore(value: 0)
    private let thread = DispatchQueue(label: "imds-emulator.access-log")
    private var reportedDrops = 0

    /// nil when the log is off.
    init?(_ target: Configuration.AccessLogTarget) throws(ConfigurationError) {
        let fd: Int32
        switch target {
        case .off:
            return nil
        case .stdout:
            path = nil
            fd = STDOUT_FILENO
        case .file(let p):
            path = p
            fd = try SecureFile.openLog(p, key: "access-log")
        }
        queue.withLock { $0.fd = fd }
        thread.async { [self] in run(fd) }
    }

    /// Writes one line at once when the log can take it, else queues it; never blocks.
    func write(_ record: AccessRecord) {
        var line = Array(record.jsonLine.utf8)
        line.append(UInt8(ascii: "\n"))
        let queued = queue.withLock { q -> Bool in
            guard !q.closing, q.bytes + line.count <= Self.capacity else {
                q.dropped += 1
                return false
            }
            var rest = line[...]
            if q.items.isEmpty, !q.writing, line.count <= PIPE_BUF, Self.canTakeALine(q.fd) {
                let n = line.withUnsafeBytes { Glibc.write(q.fd, $0.baseAddress, $0.count) }
                if n == line.count { return false }
                if n > 0 { rest = rest.dropFirst(n) }
            }
            line = Array(rest)
            q.bytes += line.count
            if case .lines(var last)? = q.items.last {
                q.items.removeLast()
                last += line
                q.items.append(.lines(last))
            } else {
                q.items.append(.lines(line))
            }
            return true
        }
        if queued { wake.signal() }
    }

    /// Lines dropped since the last call, for the warning and the metric.
    func takeDropped() -> Int {
        let total = queue.withLock { $0.dropped }
        defer { reportedDrops = total }
        return total - reportedDrops
    }

    /// Opens the path anew; the lines queued before go to the old file. Keeps the old file
    /// if that fails, so logging never stops.
    func reopen() throws(ConfigurationError) {
        guard let path else { return }
        let fd = try SecureFile.openLog(path, key: "access-log")
        queue.withLock { $0.items.append(.switchTo(fd)) }
        wake.signal()
    }

    /// Writes what is queued, waiting at most `seconds` (a reader that never reads again
    /// must not keep the emulator from exiting).
    func finish(within seconds: Double) {
        queue.withLock { $0.closing = true }
        wake.signal()
        _ = drained.wait(timeout: .now() + seconds)
    }

    private static func canTakeALine(_ fd: Int32) -> Bool {
        var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&ready, 1, 0) == 1 && ready.revents & Int16(POLLOUT) != 0
    }

    private func run(_ first: Int32) {
        var fd = first
        while true {
            wake.wait()
            let (items, closing) = queue.withLock { q in
                defer { q.items.removeAll(); q.bytes = 0; q.writing = true }
                return (q.items, q.closing)
            }
            defer { queue.withLock { $0.writing = false; $0.fd = fd } }
            for item in items {
                switch item {
                case .lines(let bytes): Self.writeAll(fd, bytes)
                case .switchTo(let next):
                    if fd != STDOUT_FILENO { close(fd) }
                    fd = next
                }
            }
            if closing {
                drained.signal()
                return
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}
