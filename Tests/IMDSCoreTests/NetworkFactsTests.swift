import Testing
@testable import IMDSCore

@Suite struct NetworkFactsTests {
    let md = "/latest/meta-data/"

    @Test func defaultsAgreeWithTheAddress() {
        var m = InstanceMetadata()
        m.localIPv4 = "10.20.30.40"
        #expect(m.resolvedSubnetCIDR == "10.20.16.0/20" && m.resolvedVpcCIDR == "10.20.0.0/16")
        #expect(m.resolvedInterfaceId.hasPrefix("eni-") && m.resolvedInterfaceId.count == 21)
        #expect(m.resolvedSecurityGroupIds.count == 1 && m.resolvedSecurityGroupIds[0].hasPrefix("sg-"))
        #expect(m.resolvedPublicHostname == nil)
        m.publicIPv4 = "3.4.5.6"
        #expect(m.resolvedPublicHostname == "ec2-3-4-5-6.compute-1.amazonaws.com")
        m.region = "cn-north-1"
        #expect(m.resolvedPublicHostname == "ec2-3-4-5-6.cn-north-1.compute.amazonaws.com.cn")
    }

    @Test func publicAddressKeysAndDevicesAppearInTheTree() {
        var settings = ServiceSettings()
        settings.instance.publicIPv4 = "54.1.2.3"
        settings.instance.publicKeys = [("laptop", "ssh-ed25519 AAAAC3 me@laptop"), ("ci", "ssh-ed25519 AAAAC4 ci")]
        settings.instance.ipv6Addresses = ["2600:1f18::10"]
        settings.instance.blockDevices = [("ami", "/dev/xvda"), ("root", "/dev/xvda"), ("ebs1", "sdb")]
        let (service, _) = makeService(settings)
        let t = token(service)
        let nic = md + "network/interfaces/macs/0e:1a:2b:3c:4d:5e/"
        #expect(get(service, md + "public-ipv4", token: t).body == "54.1.2.3")
        #expect(get(service, md + "public-hostname", token: t).body == "ec2-54-1-2-3.compute-1.amazonaws.com")
        #expect(get(service, nic + "ipv4-associations/54.1.2.3", token: t).body == "172.31.16.10")
        #expect(get(service, nic + "public-ipv4s", token: t).body == "54.1.2.3")
        #expect(get(service, md + "public-keys/", token: t).body == "0=laptop\n1=ci")
        #expect(get(service, md + "public-keys/1/", token: t).body == "openssh-key")
        #expect(get(service, md + "public-keys/1/openssh-key", token: t).body == "ssh-ed25519 AAAAC4 ci")
        #expect(get(service, md + "ipv6", token: t).body == "2600:1f18::10")
        #expect(get(service, md + "block-device-mapping/", token: t).body == "ami\nebs1\nroot")
        #expect(get(service, nic + "subnet-ipv4-cidr-block", token: t).body == "172.31.16.0/20")
        let (plain, _) = makeService()
        #expect(get(plain, md + "public-ipv4", token: token(plain)).status == 404)
        #expect(get(plain, md + "public-keys/", token: token(plain)).status == 404)
    }

    @Test func inconsistentNetworkSettingsNameTheirKey() {
        func fails(_ members: [(String, ConfigValue)]) -> String? {
            do { _ = try Configuration(values: [("instance", .map(members.map { (key: $0.0, value: $0.1) }))]); return nil }
            catch { return error.key }
        }
        #expect(fails([("subnet-ipv4-cidr-block", .scalar("10.0.0.0/24"))]) == "instance.subnet-ipv4-cidr-block")
        #expect(fails([("vpc-ipv4-cidr-block", .scalar("172.31.16.5/16"))]) == "instance.vpc-ipv4-cidr-block")
        #expect(fails([("security-group-ids", .list([.scalar("sg-0123456789abcdef0"), .scalar("sg-0123456789abcdef1")]))])
                == "instance.security-group-ids")
        #expect(fails([("public-hostname", .scalar("web.example.com"))]) == "instance.public-hostname")
        #expect(fails([("public-keys", .map([(key: "me", value: .scalar("not a key"))]))]) == "instance.public-keys.me")
        #expect(fails([("block-device-mapping", .map([(key: "disk", value: .scalar("sdb"))]))]) == "instance.block-device-mapping.disk")
        #expect(fails([("public-ipv4", .scalar("54.1.2.3")), ("ipv6", .list([.scalar("2600:1f18::10")]))]) == nil)
    }
}

@Suite struct NetworkInterfaceTests {
    func instance(_ nics: [ConfigValue]) throws(ConfigurationError) -> InstanceMetadata {
        try Configuration(values: [("instance", .map([(key: "network-interfaces", value: .list(nics))]))]).service.instance
    }

    func nic(_ members: [(String, ConfigValue)]) -> ConfigValue { .map(members.map { (key: $0.0, value: $0.1) }) }

    @Test func secondaryInterfacesTakeDefaultsThatAgreeWithThePrimary() throws {
        let m = try instance([nic([]), nic([("subnet-ipv4-cidr-block", .scalar("172.31.32.0/20")),
                                          ("local-ipv4", .list([.scalar("172.31.32.5"), .scalar("172.31.32.6")]))])])
        let nics = m.interfaces
        #expect(nics.map(\.deviceNumber) == [0, 1, 2])
        #expect(Set(nics.map(\.mac)).count == 3 && Set(nics.map(\.interfaceId)).count == 3)
        #expect(nics[1].localIPv4s == ["172.31.16.11"] && nics[1].subnetId == nics[0].subnetId)
        #expect(nics[2].subnetId != nics[0].subnetId && nics[2].vpcId == nics[0].vpcId)
        #expect(nics[2].localHostname == "ip-172-31-32-5.ec2.internal" && nics[2].localIPv4s.count == 2)
        #expect(nics[1].securityGroupIds == nics[0].securityGroupIds)
        let (service, _) = makeService({ var s = ServiceSettings(); s.instance = m; return s }())
        let t = token(service)
        let listing = get(service, "/latest/meta-data/network/interfaces/macs/", token: t).body
        #expect(listing.split(separator: "\n").count == 3)
        #expect(get(service, "/latest/meta-data/network/interfaces/macs/\(nics[2].mac)/local-ipv4s", token: t).body
                == "172.31.32.5\n172.31.32.6")
        #expect(get(service, "/latest/meta-data/network/interfaces/macs/\(nics[2].mac)/device-number", token: t).body == "2")
    }

    @Test func conflictingInterfacesNameTheirKey() {
        func refused(_ nics: [ConfigValue]) -> String? {
            do { _ = try instance(nics); return nil } catch { return error.key }
        }
        #expect(refused([nic([("local-ipv4", .scalar("172.31.16.10"))])]) == "instance.network-interfaces[0].local-ipv4")
        #expect(refused([nic([("mac", .scalar("0e:1a:2b:3c:4d:5e"))])]) == "instance.network-interfaces[0].mac")
        #expect(refused([nic([("local-ipv4", .scalar("10.0.0.5"))])]) == "instance.network-interfaces[0].local-ipv4")
        #expect(refused([nic([("subnet-ipv4-cidr-block", .scalar("10.0.0.0/24")), ("local-ipv4", .scalar("10.0.0.5"))])])
                == "instance.network-interfaces[0].subnet-ipv4-cidr-block")
        #expect(refused([nic([("colour", .scalar("blue"))])]) == "instance.network-interfaces[0].colour")
        #expect(refused([.scalar("eth1")]) == "instance.network-interfaces[0]")
        #expect(refused([nic([("security-groups", .list([.scalar("a"), .scalar("b")])),
                              ("security-group-ids", .list([.scalar("sg-0123456789abcdef0")]))])])
                == "instance.network-interfaces[0].security-group-ids")
        #expect(refused([nic([("public-ipv4", .scalar("3.4.5.6")), ("ipv6", .scalar("2600:1f18::11"))])]) == nil)
    }
}
