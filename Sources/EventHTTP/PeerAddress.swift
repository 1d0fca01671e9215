import Glibc

/// A client's address as accept(2) gave it: a hashable key for the per-client connection
/// count, made without formatting text, and the text itself only when a request needs it.
struct PeerAddress: Hashable {
    /// IPv4 addresses are kept as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one key type holds both.
    private var high: UInt64 = 0
    private var low: UInt64 = 0
    private(set) var port = 0
    private(set) var isIPv6 = false

    init(_ address: UnsafePointer<sockaddr>?) {
        guard let address else { return }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                low = 0xffff_0000_0000 | UInt64(UInt32(bigEndian: v4.pointee.sin_addr.s_addr))
                port = Int(UInt16(bigEndian: v4.pointee.sin_port))
            }
        case AF_INET6:
            isIPv6 = true
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { raw in
                    for i in 0..<8 {
                        high = high << 8 | UInt64(raw[i])
                        low = low << 8 | UInt64(raw[8 + i])
                    }
                }
                port = Int(UInt16(bigEndian: v6.pointee.sin6_port))
            }
        default:
            break
        }
    }

    /// An IPv4 client of a dual-stack IPv6 socket.
    var isIPv4Mapped: Bool { isIPv6 && high == 0 && low >> 32 == 0xffff }

    /// 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
    var isLoopback: Bool {
        if high != 0 { return false }
        return low >> 24 == 0xffff_7f || (isIPv6 && low == 1)
    }

    static func == (a: PeerAddress, b: PeerAddress) -> Bool { a.high == b.high && a.low == b.low }

    func hash(into hasher: inout Hasher) {
        hasher.combine(high)
        hasher.combine(low)
    }

    /// As inet_ntop(3) writes it, the way libevent's evhttp reported peers: `127.0.0.1`, `::1`,
    /// and `::ffff:10.0.0.1` for an IPv4 client of a dual-stack IPv6 socket.
    var text: String {
        isIPv6 ? ipv6Text : ipv4Text
    }

    /// Written by hand: this runs for every request, and inet_ntop(3) costs as much again.
    private var ipv4Text: String {
        var out: [UInt8] = []
        out.reserveCapacity(15)
        for shift in stride(from: 24, through: 0, by: -8) {
            let octet = UInt8(truncatingIfNeeded: low >> UInt64(shift))
            if octet >= 100 { out.append(UInt8(ascii: "0") + octet / 100) }
            if octet >= 10 { out.append(UInt8(ascii: "0") + octet / 10 % 10) }
            out.append(UInt8(ascii: "0") + octet % 10)
            if shift > 0 { out.append(UInt8(ascii: ".")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private var ipv6Text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { raw in
            for i in 0..<8 {
                raw[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * i))
                raw[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * i))
            }
        }
        guard inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil else { return "" }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
