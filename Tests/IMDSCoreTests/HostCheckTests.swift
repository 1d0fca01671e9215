import Testing
@testable import IMDSCore

@Suite struct HostCheckTests {
    func request(host: String?) -> Request {
        Request(method: .get, target: "/", headers: HTTPHeaders(host.map { [("Host", $0)] } ?? []))
    }

    @Test func admitsTheEmulatorsOwnNamesOnly() {
        let check = HostCheck(enabled: true, hosts: ["127.0.0.1", "::1", "imds.test"])
        for host in ["127.0.0.1:9254", "127.0.0.1", "LOCALHOST:80", "169.254.169.254", "[fd00:ec2::254]:80", "[::1]:9254",
                     "imds.test:1234"] {
            #expect(check.admits(request(host: host)), "\(host)")
        }
        #expect(check.admits(request(host: nil)))
        for host in ["evil.example", "evil.example:9254", "127.0.0.2", "[::2]:80", "attacker.imds.test", "169.254.170.2"] {
            #expect(!check.admits(request(host: host)), "\(host)")
        }
        #expect(check.allowing(HostCheck.containerAddresses).admits(request(host: "169.254.170.2")))
        #expect(HostCheck(enabled: false, hosts: []).admits(request(host: "evil.example")))
    }

    @Test func isOnByDefaultOnEachLoopbackListenerOnItsOwn() throws {
        let c = try Configuration(values: [("listen", .list([.scalar("127.0.0.1:9254"), .scalar("[::1]:9254")])),
                                           ("container-listen", .scalar("0.0.0.0:9256"))])
        #expect(c.hostCheck(for: c.listen[0]).enabled && c.hostCheck(for: c.listen[1]).enabled)
        #expect(!c.hostCheck(for: ListenAddress(host: "0.0.0.0", port: 9256)).enabled)
        #expect(!c.hostCheck(for: ListenAddress(host: "169.254.169.254", port: 80)).enabled)
        let forced = try Configuration(values: [("require-host", .scalar("enabled")), ("listen", .scalar("0.0.0.0:80"))])
        #expect(forced.hostCheck(for: forced.listen[0]).enabled)
    }

    @Test func serviceRefusesForeignHostsEvenForTokens() {
        let (service, _) = makeService()
        service.hostCheck = HostCheck(enabled: true, hosts: ["127.0.0.1"])
        let refused = putToken(service, extra: [("Host", "evil.example")])
        #expect(refused.status == 403)
        #expect(refused.annotation.error?.contains("evil.example") == true)
        #expect(putToken(service, extra: [("Host", "127.0.0.1:9254")]).status == 200)
    }
}
