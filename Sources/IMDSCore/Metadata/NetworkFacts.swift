import Crypto

/// The network side of the instance's one interface, with defaults that agree with its other
/// facts: the subnet and VPC CIDRs contain `local-ipv4`, ids are stable hashes of the instance
/// id (so restarts keep them), public names follow EC2's pattern for the region.
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
        securityGroupIds ?? securityGroups.map { "sg-" + stableHex("sg/" + $0, 17) }
    }

    /// `ec2-3-4-5-6.compute-1.amazonaws.com` in us-east-1, `ec2-….REGION.compute.amazonaws.com`
    /// elsewhere (with the partition's domain); nil without a public address.
    public var resolvedPublicHostname: String? {
        guard let ip = publicIPv4 else { return nil }
        if let publicHostname { return publicHostname }
        let name = "ec2-" + ip.replacingOccurrences(of: ".", with: "-")
        let zone = region == "us-east-1" ? "compute-1" : "\(region).compute"
        return "\(name).\(zone).\(RegionFacts.domain(region))"
    }

    static func cidr(_ ip: String, prefix: Int) -> String {
        let octets = ip.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4 else { return ip + "/32" }
        let value = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
        let masked = value & (prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix))
        return "\(masked >> 24).\(masked >> 16 & 255).\(masked >> 8 & 255).\(masked & 255)/\(prefix)"
    }

    /// True when `ip` lies in `cidr` (IPv4 only).
    static func contains(_ cidr: String, _ ip: String) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]) else { return false }
        return Self.cidr(ip, prefix: prefix) == cidr
    }

    private func stableHex(_ salt: String, _ count: Int) -> String {
        let digest = SHA256.hash(data: Array("\(instanceId)/\(salt)".utf8))
        return String(digest.map { String(format2: $0) }.joined().prefix(count))
    }
}

private extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self.init([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
