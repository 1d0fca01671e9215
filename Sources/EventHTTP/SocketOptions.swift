import Glibc

/// Which port a listening socket got (port 0 asks the system for one).
enum SocketOptions {
    static func localPort(_ fd: Int32) -> Int? {
        guard var storage = localAddress(fd) else { return nil }
        switch Int32(storage.ss_family) {
        case Int32(AF_INET):
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case Int32(AF_INET6):
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }

    private static func localAddress(_ fd: Int32) -> sockaddr_storage? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return ok == 0 ? storage : nil
    }
}
