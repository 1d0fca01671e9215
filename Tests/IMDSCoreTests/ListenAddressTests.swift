import Testing
@testable import IMDSCore

@Suite struct ListenAddressTests {
    @Test func parsesIPv4IPv6AndNames() {
        #expect(ListenAddress("127.0.0.1:9254") == ListenAddress(host: "127.0.0.1", port: 9254))
        #expect(ListenAddress("[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress("localhost:0") == ListenAddress(host: "localhost", port: 0))
        #expect(ListenAddress("[fd00:ec2::254]:80")?.description == "[fd00:ec2::254]:80")
    }

    @Test func refusesMalformedAddresses() {
        for bad in ["nonsense", "127.0.0.1", "127.0.0.1:99999", ":80", "::1:80", "[::1]80", "[]:80", "a b:80", "host:-1"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func endpointURLsEndInASlashAndReachWildcards() {
        #expect(ListenAddress(host: "127.0.0.1", port: 9254).endpointURL == "http://127.0.0.1:9254/")
        #expect(ListenAddress(host: "0.0.0.0", port: 80).endpointURL == "http://127.0.0.1:80/")
        #expect(ListenAddress(host: "::", port: 80).endpointURL == "http://[::1]:80/")
    }
}
