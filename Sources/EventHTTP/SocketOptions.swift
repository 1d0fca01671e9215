import Glibc

/// The few socket options IMDS emulation needs, on a descriptor libevent owns.
enum SocketOptions {
    /// EC2 sends token replies with the instance's hop limit as IP TTL (IPv6 hop limit), so
    /// that a client one router too far never sees them and times out.
    /// `peer` is the client's address as libevent wrote it: one with a colon came over an
    /// IPv6 socket, which spares a getsockname(2) on every token reply.
    static func setHopLimit(_ fd: Int32, _ hops: Int, peer: String) {
        var value = Int32(hops)
        let size = socklen_t(MemoryLayout<Int32>.size)
        if peer.utf8.contains(UInt8(ascii: ":")) {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &value, size)
            // An IPv4-mapped client (::ffff:a.b.c.d) on a dual-stack socket is reached over IPv4.
            if peer.hasPrefix("::ffff:") { setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &value, size) }
        } else {
            setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &value, size)
        }
    }

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
