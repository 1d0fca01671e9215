import Glibc
import IMDSCore

/// Files opened by path the way careful daemons open them. The emulator often runs as root
/// (in the container before it drops privileges, under `sudo` on a host) and its paths are
/// often in directories others can write (`/tmp`), so: no symbolic link is followed, new files
/// are made with `O_EXCL` and their final mode, and an existing secret is used only when this
/// user (or root, who could have written anything anyway) owns it, no other user can read it
/// and only the owner can write it. Group read is allowed, as Kubernetes gives a non-root
/// container its mounted secrets through the pod's group. Every refusal names the path and
/// what is wrong with it, under the setting it came from.
enum SecureFile {
    /// The owner this process needs: its effective user.
    static var user: uid_t { geteuid() }

    /// Reads a secret of at most `limit` bytes; nil when there is no such file.
    static func readSecret(_ path: String, key: String, limit: Int = 1 << 20) throws(ConfigurationError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ConfigurationError(key: key, "cannot read \(path): \(reason(errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ConfigurationError(key: key, "cannot read \(path): \(reason(errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ConfigurationError(key: key, "\(path) is not a regular file")
        }
        try checkOwner(info, path, key)
        guard info.st_mode & 0o027 == 0 else {
            throw ConfigurationError(key: key, "\(path) is readable or writable by others (mode \(octal(info.st_mode & 0o777))); chmod 600 it, or remove it to have a new one made")
        }
        return try readAll(fd, path, key: key, limit: limit)
    }

    /// Everything `fd` holds, refused past `limit` bytes rather than read without end. Read a
    /// piece at a time, so that a generous limit costs nothing for a small file.
    static func readAll(_ fd: Int32, _ path: String, key: String, limit: Int) throws(ConfigurationError) -> [UInt8] {
        var bytes: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = piece.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ConfigurationError(key: key, "cannot read \(path): \(reason(errno))") }
            if n == 0 { return bytes }
            bytes.append(contentsOf: piece.prefix(n))
            guard bytes.count <= limit else { throw ConfigurationError(key: key, "\(path) is larger than \(limit) bytes") }
        }
    }

    /// Makes a new file holding `bytes`; an existing file or link at `path` is an error.
    static func create(_ path: String, _ bytes: [UInt8], key: String, mode: mode_t = 0o600) throws(ConfigurationError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ConfigurationError(key: key, "cannot create \(path): \(reason(errno))") }
        defer { close(fd) }
        try writeAll(fd, bytes, path, key)
    }

    /// Puts `bytes` at `directory/name` in one step, so a reader never sees half of them:
    /// written to a new file of a random name first, then renamed (`replace`) or linked
    /// (`!replace`: the first of two processes starting together wins; the loser's error is
    /// EEXIST, which the caller reads back).
    static func install(_ bytes: [UInt8], in directory: String, name: String, key: String,
                        mode: mode_t = 0o600, replace: Bool = true) throws(ConfigurationError) {
        var template = Array("\(directory)/.\(name).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ConfigurationError(key: key, "cannot write in \(directory): \(reason(errno))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = text(template)
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw ConfigurationError(key: key, "cannot write \(temporary): \(reason(errno))") }
            try writeAll(fd, bytes, temporary, key)
            fsync(fd)
        }
        let path = directory + "/" + name
        let done = replace ? rename(temporary, path) : link(temporary, path)
        guard done == 0 || (!replace && errno == EEXIST) else {
            throw ConfigurationError(key: key, "cannot create \(path): \(reason(errno))")
        }
    }

    /// A directory only this user can change: made with mode 0700 when missing; an existing
    /// one must be a real directory (not a link) of this user that others cannot write to.
    static func privateDirectory(_ path: String, key: String) throws(ConfigurationError) {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT, mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw ConfigurationError(key: key, "cannot create \(path): \(reason(errno))")
            }
            guard lstat(path, &info) == 0 else { throw ConfigurationError(key: key, "cannot use \(path): \(reason(errno))") }
        }
        guard info.st_mode & S_IFMT != S_IFLNK else {
            throw ConfigurationError(key: key, "\(path) is a symbolic link; give the directory itself")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw ConfigurationError(key: key, "\(path) is not a directory") }
        try checkOwner(info, path, key)
        guard info.st_mode & 0o022 == 0 else {
            throw ConfigurationError(key: key, "\(path) is writable by others (mode \(octal(info.st_mode & 0o777))); chmod 700 it")
        }
    }

    /// A new directory of a random name under `parent`, mode 0700.
    static func temporaryDirectory(in parent: String, prefix: String, key: String) throws(ConfigurationError) -> String {
        var template = Array("\(parent.hasSuffix("/") ? String(parent.dropLast()) : parent)/\(prefix)XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ConfigurationError(key: key, "cannot make a directory in \(parent): \(reason(errno))")
        }
        return text(template)
    }

    /// A log to append to: never through a link; an existing regular file must be this
    /// user's; a new one is made without any access for others. Pipes and devices are fine.
    static func openLog(_ path: String, key: String) throws(ConfigurationError) -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            if errno == ELOOP { throw ConfigurationError(key: key, "\(path) is a symbolic link; give the file itself") }
            throw ConfigurationError(key: key, "cannot open \(path): \(reason(errno))")
        }
        var info = stat()
        do throws(ConfigurationError) {
            guard fstat(fd, &info) == 0 else { throw ConfigurationError(key: key, "cannot open \(path): \(reason(errno))") }
            if info.st_mode & S_IFMT == S_IFREG { try checkOwner(info, path, key) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    private static func checkOwner(_ info: stat, _ path: String, _ key: String) throws(ConfigurationError) {
        guard info.st_uid == user || info.st_uid == 0 else {
            throw ConfigurationError(key: key, "\(path) is owned by uid \(info.st_uid), not by this user (uid \(user)); remove it or give another path")
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String, _ key: String) throws(ConfigurationError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ConfigurationError(key: key, "cannot write \(path): \(reason(errno))") }
            offset += n
        }
    }

    private static func reason(_ code: Int32) -> String {
        code == ELOOP ? "it is a symbolic link" : String(cString: strerror(code))
    }

    private static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }

    /// The path mkstemp(3) or mkdtemp(3) wrote into `template`, up to its NUL.
    private static func text(_ template: [CChar]) -> String {
        String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
