import Crypto

/// The network side of the instance, with defaults that agree with its other facts: subnet
/// and VPC CIDRs contain the interface's addresses, ids are stable hashes of the instance id
/// (so restarts keep them), public names follow EC2's pattern for the region.
extension InstanceMetadata {
    public var resolvedInterfaceId: String { interfaceId ?? "eni-" + stableHex("eni", 17) }
    public var resolvedSubnetId: String { subnetId ?? "subnet-" + stableHex("subnet", 17) }
    public var resolvedVpcId: String { vpcId ?? "vpc-" + stableHex("vpc", 17) }

    /// `/20` around `local-ipv4` unless given (the default VPC's subnets are /20).
    public var resolvedSubnetCIDR: String { subnetCIDR ?? Self.cidr(localIPv4, prefix: 20) }
    /// `/16` around `local-ipv4` unless given (the default VPC is a /16).
    public var resolvedVpcCIDR: String { vpcCIDR ?? Self.cidr(localIPv4, prefix: 16) }

    /// One `sg-…` per security group name, stable for a name.
    public var resolvedSecurityGroupIds: [String] {
        securityGroupIds ?? securityGroups.map(groupId)
    }

    /// `ec2-3-4-5-6.compute-1.amazonaws.com` in us-east-1, `ec2-….REGION.compute.amazonaws.com`
    /// elsewhere (with the partition's domain); nil without a public address.
    public var resolvedPublicHostname: String? {
        guard let ip = publicIPv4 else { return nil }
        return publicHostname ?? publicName(ip)
    }

    /// Every interface, the primary (device 0) first, with its facts settled.
    public var interfaces: [InterfaceFacts] {
        let primary = InterfaceFacts(
            deviceNumber: 0, mac: mac, interfaceId: resolvedInterfaceId, localIPv4s: [localIPv4],
            localHostname: resolvedHostname, subnetId: resolvedSubnetId, subnetCIDR: resolvedSubnetCIDR,
            vpcId: resolvedVpcId, vpcCIDR: resolvedVpcCIDR, securityGroups: securityGroups,
            securityGroupIds: resolvedSecurityGroupIds, publicIPv4: publicIPv4, publicHostname: resolvedPublicHostname,
            ipv6Addresses: ipv6Addresses, subnetIPv6CIDR: subnetIPv6CIDR)
        return [primary] + secondaryInterfaces.enumerated().map { settle($0.element, device: $0.offset + 1, primary: primary) }
    }

    private func settle(_ nic: NetworkInterface, device: Int, primary: InterfaceFacts) -> InterfaceFacts {
        let subnetCIDR = nic.subnetCIDR ?? primary.subnetCIDR
        // By default the next address after the instance's, moved into the interface's subnet.
        let addresses = nic.localIPv4s.isEmpty ? [Self.offset(Self.rebase(localIPv4, into: subnetCIDR), by: device)] : nic.localIPv4s
        let groups = nic.securityGroups ?? primary.securityGroups
        let subnetId = nic.subnetId
            ?? (subnetCIDR == primary.subnetCIDR ? primary.subnetId : "subnet-" + stableHex("subnet/" + subnetCIDR, 17))
        return InterfaceFacts(
            deviceNumber: device, mac: nic.mac ?? stableMAC(device), interfaceId: nic.interfaceId ?? "eni-" + stableHex("eni/\(device)", 17),
            localIPv4s: addresses, localHostname: privateName(addresses[0]), subnetId: subnetId, subnetCIDR: subnetCIDR,
            vpcId: primary.vpcId, vpcCIDR: primary.vpcCIDR, securityGroups: groups,
            securityGroupIds: nic.securityGroupIds ?? (nic.securityGroups == nil ? primary.securityGroupIds : groups.map(groupId)),
            publicIPv4: nic.publicIPv4, publicHostname: nic.publicIPv4.map(publicName),
            ipv6Addresses: nic.ipv6Addresses, subnetIPv6CIDR: nic.subnetIPv6CIDR)
    }

    private func groupId(_ name: String) -> String { "sg-" + stableHex("sg/" + name, 17) }

    private func publicName(_ ip: String) -> String {
        let name = "ec2-" + ip.replacingEvery(".", with: "-")
        let zone = region == "us-east-1" ? "compute-1" : "\(region).compute"
        return "\(name).\(zone).\(RegionFacts.domain(region))"
    }

    /// A locally administered unicast MAC (EC2's start `02`, `06`, `0a`, `0e`), stable per device.
    private func stableMAC(_ device: Int) -> String {
        let hex = stableHex("mac/\(device)", 10)
        var octets = ["0e"]
        var i = hex.startIndex
        while i < hex.endIndex {
            let next = hex.index(i, offsetBy: 2)
            octets.append(String(hex[i..<next]))
            i = next
        }
        return octets.joined(separator: ":")
    }

    public static func cidr(_ ip: String, prefix: Int) -> String {
        guard let value = ipv4Value(ip) else { return ip + "/32" }
        let masked = value & (prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix))
        return dotted(masked) + "/\(prefix)"
    }

    /// `ip` plus `n`, wrapping within the address space (the checks then find it outside its subnet).
    public static func offset(_ ip: String, by n: Int) -> String {
        guard let value = ipv4Value(ip) else { return ip }
        return dotted(value &+ UInt32(truncatingIfNeeded: n))
    }

    /// `ip`'s host bits under `cidr`'s prefix, in `cidr`'s network.
    public static func rebase(_ ip: String, into cidr: String) -> String {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]), prefix <= 32,
              let network = ipv4Value(String(parts[0])), let value = ipv4Value(ip) else { return ip }
        let mask = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
        return dotted(network & mask | value & ~mask)
    }

    /// True when `ip` lies in `cidr` (IPv4 only).
    public static func contains(_ cidr: String, _ ip: String) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]) else { return false }
        return Self.cidr(ip, prefix: prefix) == cidr
    }

    private static func ipv4Value(_ ip: String) -> UInt32? {
        let octets = ip.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        return octets.reduce(UInt32(0)) { $0 << 8 | $1 }
    }

    private static func dotted(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)"
    }

    private func stableHex(_ salt: String, _ count: Int) -> String {
        let digest = SHA256.hash(data: Array("\(instanceId)/\(salt)".utf8))
        return String(Hex.encode(digest).prefix(count))
    }
}
