import CLibeventOpenSSL  // in this module, Swift finds SOCK_STREAM and addrinfo through its sys/socket.h
import Glibc
import IMDSCore

/// One address of a host, from the system's resolver (`getaddrinfo`, so `/etc/hosts` and
/// nsswitch apply), in the order it prefers them: unreachable IPv6 sorts last.
struct ResolvedAddress {
    var storage: sockaddr_storage
    var length: socklen_t

    var family: Int32 { Int32(storage.ss_family) }

    /// Blocks while the resolver works; the transport runs on the refresh worker.
    static func resolve(_ target: HTTPTarget) throws(CredentialSourceError) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard code == 0, let list else {
            throw CredentialSourceError("cannot resolve \(target.host) (\(String(cString: gai_strerror(code))))")
        }
        defer { freeaddrinfo(list) }
        var found: [ResolvedAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next {
            if let address = entry.pointee.ai_addr, Int(entry.pointee.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { out in
                    out.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen)))
                }
                found.append(ResolvedAddress(storage: storage, length: entry.pointee.ai_addrlen))
            }
            next = entry.pointee.ai_next
        }
        guard !found.isEmpty else { throw CredentialSourceError("cannot resolve \(target.host) (no address)") }
        return found
    }

    /// The numeric address, for messages.
    var text: String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var copy = storage
        let code = withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        return code == 0 ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }

    func connect(_ fd: Int32) -> Int32 {
        var copy = storage
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
    }
}
