import Glibc
import Testing
@testable import EventHTTP

/// Which clients count as loopback (token replies to them skip the hop limit's system call)
/// and the text each address is logged with.
@Suite struct PeerAddressTests {
    func ipv4(_ text: String) -> PeerAddress {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(8080).bigEndian
        _ = inet_pton(AF_INET, text, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerAddress($0) }
        }
    }

    func ipv6(_ text: String) -> PeerAddress {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        _ = inet_pton(AF_INET6, text, &address.sin6_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerAddress($0) }
        }
    }

    @Test func loopbackIsTheWhole127NetworkAndColonColonOne() {
        for text in ["127.0.0.1", "127.0.0.53", "127.255.255.254"] {
            #expect(ipv4(text).isLoopback, "\(text)")
        }
        for text in ["::1", "::ffff:127.0.0.1"] {
            #expect(ipv6(text).isLoopback, "\(text)")
        }
        for text in ["128.0.0.1", "126.255.255.255", "169.254.169.254", "10.0.0.1", "0.0.0.0"] {
            #expect(!ipv4(text).isLoopback, "\(text)")
        }
        for text in ["::2", "::", "fd00:ec2::254", "::ffff:10.0.0.1", "::7f00:1", "1::1"] {
            #expect(!ipv6(text).isLoopback, "\(text)")
        }
    }

    @Test func textIsAsInetNtopWritesIt() {
        #expect(ipv4("127.0.0.1").text == "127.0.0.1")
        #expect(ipv4("10.200.3.45").text == "10.200.3.45")
        #expect(ipv6("::1").text == "::1")
        #expect(ipv6("::ffff:10.0.0.1").text == "::ffff:10.0.0.1")
        // The same client in both forms is one key for the connection count.
        #expect(ipv6("::ffff:10.0.0.1") == ipv4("10.0.0.1"))
    }
}
