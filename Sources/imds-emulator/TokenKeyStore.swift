import Glibc
import IMDSCore

/// Keeps the IMDSv2 token key in `--state-dir` so that a restarted emulator, or a replica
/// sharing the directory, accepts tokens that clients still hold: aws-c-auth and Go v1 turn an
/// early 401 into a failed credential refresh.
enum TokenKeyStore {
    static let fileName = "token-key"

    static func loadOrCreate(in directory: String, random: RandomSource) throws(ConfigurationError) -> [UInt8] {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw failure("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let path = directory + "/" + fileName
        if let key = try read(path) { return key }
        // Write a complete key under a temporary name, then link it into place: two processes
        // starting together agree on whichever key landed first.
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let key = random.bytes(TokenAuthority.keyLength)
        let written = key.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        defer { unlink(temporary) }
        guard written == key.count else { throw failure("cannot write \(temporary)") }
        if link(temporary, path) != 0 && errno != EEXIST {
            throw failure("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard let stored = try read(path) else { throw failure("cannot read back \(path)") }
        return stored
    }

    /// Stores a new key (after the control API revoked every token), replacing the old one
    /// atomically so a replica never reads half a key.
    static func replace(in directory: String, with key: [UInt8]) throws(ConfigurationError) {
        let path = directory + "/" + fileName
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = key.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == key.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure("cannot replace \(path)")
        }
    }

    private static func read(_ path: String) throws(ConfigurationError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_mode & 0o077 != 0 {
            fchmod(fd, 0o600)
        }
        var buffer = [UInt8](repeating: 0, count: TokenAuthority.keyLength + 1)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n == TokenAuthority.keyLength else {
            throw failure("\(path) holds \(max(n, 0)) bytes, expected \(TokenAuthority.keyLength); remove it to start with a new key")
        }
        return Array(buffer.prefix(TokenAuthority.keyLength))
    }

    private static func failure(_ problem: String) -> ConfigurationError {
        ConfigurationError(key: "state-dir", problem)
    }
}
