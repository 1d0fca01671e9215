import Glibc

/// EC2's `HttpPutResponseHopLimit`: token replies leave with the instance's hop limit as
/// their IP TTL (IPv6 hop limit), so that a client one router too far (a container on a
/// bridge, with the default of 1) never sees the token and times out. The core says which
/// replies carry it (`Response.hopLimit`, set by the token endpoint); this sets it on the
/// connection's socket just before the reply is written.
enum HopLimit {
    /// The client's address family says which option the socket has, sparing a
    /// getsockname(2) on every token reply.
    static func apply(_ fd: Int32, _ hops: Int, peer: PeerAddress) {
        // A loopback client (a sidecar's app sharing the network namespace, a process on the
        // host) is reached without a router: no TTL can change whether the reply arrives, so
        // the system call is spared on every token reply.
        guard !peer.isLoopback else { return }
        var value = Int32(hops)
        let size = socklen_t(MemoryLayout<Int32>.size)
        if peer.isIPv6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &value, size)
            // An IPv4-mapped client (::ffff:a.b.c.d) on a dual-stack socket is reached over IPv4.
            if peer.isIPv4Mapped { setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &value, size) }
        } else {
            setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &value, size)
        }
    }
}
