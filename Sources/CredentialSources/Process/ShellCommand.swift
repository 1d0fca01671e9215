import Glibc
import IMDSCore

/// Runs `/bin/sh -c COMMAND` with a time limit and collects what it printed. Every wait is
/// bounded: the command runs in a process group of its own, which is ended as a whole when the
/// time is up, and once the shell has exited its output is read for a moment more and no
/// longer, because a child it left behind (`setsid cmd &`) may hold the pipes open for hours.
struct ShellCommand {
    var command: String
    var timeout: Double = 30
    /// Output beyond this is dropped; credential JSON is a few kilobytes.
    var outputLimit = 1 << 20
    /// How long output is still read after the shell exited.
    var drainAfterExit = 0.5

    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]

        /// The first line of stderr, trimmed and shortened, for a diagnostic.
        var stderrSummary: String {
            let text = String(decoding: stderr, as: UTF8.self)
            let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingBlanks() }
                .first { !$0.isEmpty } ?? ""
            return line.count > 200 ? String(line.prefix(200)) + "…" : line
        }
    }

    func run() throws(CredentialSourceError) -> Result {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw Self.failure("cannot make a pipe") }
        guard pipe(&err) == 0 else {
            let failure = Self.failure("cannot make a pipe")
            close(out[0]); close(out[1])
            throw failure
        }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let spawned = spawn(stdout: out[1], stderr: err[1])
        close(out[1])
        close(err[1])
        guard case .success(let pid) = spawned else {
            close(out[0]); close(err[0])
            if case .failure(let error) = spawned { throw error }
            throw Self.failure("cannot start /bin/sh")
        }
        defer { close(out[0]); close(err[0]) }
        var reader = PipeReader(fds: [out[0], err[0]], limit: outputLimit)
        let deadline = Monotonic.seconds() + timeout
        var status: Int32?
        var exitedAt: Double?
        while true {
            let now = Monotonic.seconds()
            if status == nil, let s = Self.reap(pid) {
                status = s
                exitedAt = now
            }
            if let exitedAt, reader.finished || now - exitedAt >= drainAfterExit { break }
            if status == nil && now >= deadline { break }
            let until = exitedAt.map { $0 + drainAfterExit } ?? deadline
            reader.read(waiting: min(0.05, max(0.001, until - now)))
        }
        guard let status else {
            // The whole process group: a shell's children would go on holding the pipes.
            kill(0 - pid, SIGTERM)
            if !Self.waitExit(pid, within: 1) {
                kill(0 - pid, SIGKILL)
                _ = Self.waitExit(pid, within: 2)
            }
            throw CredentialSourceError("the command did not finish within \(Self.seconds(timeout))")
        }
        return Result(status: status, stdout: reader.data[0], stderr: reader.data[1])
    }

    /// `/bin/sh -c COMMAND` in a new process group, stdin from /dev/null, with the signals
    /// the emulator ignores (SIGPIPE) back at their defaults.
    private func spawn(stdout: Int32, stderr: Int32) -> Swift.Result<pid_t, CredentialSourceError> {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { $0.withCString { strdup($0) } }
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv + [nil], environ)
        guard code == 0 else {
            return .failure(CredentialSourceError("cannot start /bin/sh for the command: \(String(cString: strerror(code)))", isRetryable: false))
        }
        return .success(pid)
    }

    /// The exit status once the process has ended, nil while it runs.
    private static func reap(_ pid: pid_t) -> Int32? {
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    private static func waitExit(_ pid: pid_t, within seconds: Double) -> Bool {
        let end = Monotonic.seconds() + seconds
        while Monotonic.seconds() < end {
            if reap(pid) != nil { return true }
            usleep(10_000)
        }
        return false
    }

    private static func failure(_ message: String) -> CredentialSourceError {
        CredentialSourceError("\(message): \(String(cString: strerror(errno)))")
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}

/// Reads several pipes at once with `poll`, each up to a limit (what is beyond is read and
/// dropped, so a chatty command never blocks on a full pipe).
private struct PipeReader {
    private var fds: [Int32]
    private var open: [Bool]
    private let limit: Int
    private(set) var data: [[UInt8]]

    init(fds: [Int32], limit: Int) {
        self.fds = fds
        self.open = fds.map { _ in true }
        self.limit = limit
        self.data = fds.map { _ in [] }
    }

    var finished: Bool { !open.contains(true) }

    mutating func read(waiting seconds: Double) {
        var polled = fds.indices.filter { open[$0] }.map { pollfd(fd: fds[$0], events: Int16(POLLIN), revents: 0) }
        guard !polled.isEmpty else {
            usleep(UInt32(seconds * 1_000_000))
            return
        }
        guard poll(&polled, nfds_t(polled.count), Int32(seconds * 1000)) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        for p in polled where p.revents != 0 {
            guard let i = fds.firstIndex(of: p.fd) else { continue }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(p.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if data[i].count < limit { data[i] += buffer.prefix(min(n, limit - data[i].count)) }
            } else if n == 0 || errno != EINTR {
                open[i] = false
            }
        }
    }
}
