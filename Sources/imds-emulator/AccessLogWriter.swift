import Glibc
import IMDSCore

/// Writes access records as JSON lines to stdout or a file. Each line is one `write(2)` on the
/// loop thread, and reopening (SIGHUP, for logrotate) happens on the same thread between two
/// lines, so no line is lost or split when the file is moved away.
final class AccessLogWriter {
    private let path: String?
    private var fd: Int32

    /// nil when the log is off.
    init?(_ target: Configuration.AccessLogTarget) throws(ConfigurationError) {
        switch target {
        case .off:
            return nil
        case .stdout:
            path = nil
            fd = STDOUT_FILENO
        case .file(let p):
            path = p
            fd = try Self.open(p)
        }
    }

    deinit {
        if path != nil { close(fd) }
    }

    func write(_ record: AccessRecord) {
        var line = record.jsonLine
        line.append("\n")
        line.withUTF8 { buf in
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

    /// Opens the path anew; keeps the old file if that fails, so logging never stops.
    func reopen() throws(ConfigurationError) {
        guard let path else { return }
        let newFD = try Self.open(path)
        close(fd)
        fd = newFD
    }

    private static func open(_ path: String) throws(ConfigurationError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ConfigurationError(key: "access-log", "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }
}
