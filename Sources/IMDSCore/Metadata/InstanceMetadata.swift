/// The facts of the emulated instance. The defaults describe one plausible, self-consistent
/// instance (one account, one region, an AZ in that region, a private address whose host name
/// follows EC2's naming), so tools that cross-check values (cloud-init, botocore deriving the
/// region from the AZ) agree with each other.
public struct InstanceMetadata: Sendable, Equatable {
    public var accountId = "123456789012"
    public var region = "us-east-1"
    public var availabilityZone: String?      // nil: region + "a"
    public var availabilityZoneId: String?    // nil: derived from the region
    public var instanceId = "i-0123456789abcdef0"
    public var instanceType = "t3.micro"
    public var amiId = "ami-0abcdef1234567890"
    public var architecture: String?           // nil: from the instance type (arm64 for Graviton)
    public var localIPv4 = "172.31.16.10"
    public var mac = "0e:1a:2b:3c:4d:5e"
    public var hostname: String?               // nil: ip-172-31-16-10.<region domain>
    public var securityGroups = ["default"]
    public var reservationId = "r-0123456789abcdef0"
    public var tags: [(key: String, value: String)] = []
    /// EC2's `InstanceMetadataTags`: whether `tags/instance/` is served. On here by default,
    /// since tags are given to be seen; off simulates an instance whose owner has not allowed it.
    public var metadataTags = true
    public var userData: String?
    /// When the instance was "launched": the identity document's `pendingTime`.
    public var pendingTime: Timestamp?
    /// The interface's own facts; nil takes a default consistent with the rest (NetworkFacts).
    public var interfaceId: String?
    public var subnetId: String?
    public var vpcId: String?
    public var subnetCIDR: String?
    public var vpcCIDR: String?
    public var securityGroupIds: [String]?
    /// A public address makes `public-ipv4`, `public-hostname` and the interface's
    /// `public-ipv4s` / `ipv4-associations/` appear, as on EC2.
    public var publicIPv4: String?
    public var publicHostname: String?
    /// IPv6 addresses of the interface (`ipv6`, `ipv6s`); none by default.
    public var ipv6Addresses: [String] = []
    public var subnetIPv6CIDR: String?
    /// Interfaces besides the primary one, device numbers 1, 2, … in order.
    public var secondaryInterfaces: [NetworkInterface] = []
    /// Key pairs, served as `public-keys/N=name` and `public-keys/N/openssh-key`.
    public var publicKeys: [(name: String, key: String)] = []
    /// `block-device-mapping/NAME` → device; EC2's two entries by default.
    public var blockDevices: [(name: String, device: String)] = [("ami", "/dev/xvda"), ("root", "/dev/xvda")]
    /// `on-demand` or `spot`; Spot interruption and rebalance events need `spot`.
    public var instanceLifeCycle = "on-demand"
    /// The Auto Scaling group the instance belongs to, if any: it then has
    /// `autoscaling/target-lifecycle-state`.
    public var autoScalingGroup: String?

    public init() {}

    public var resolvedAvailabilityZone: String { availabilityZone ?? region + "a" }

    /// `arm64` for the Graviton families (`a1`, and a `g` right after the generation: `t4g`,
    /// `m7gd`, `c6gn`, `im4gn`), `x86_64` for the rest, as the identity document says on EC2.
    public var resolvedArchitecture: String {
        if let architecture { return architecture }
        let family = instanceType.split(separator: ".").first.map(String.init) ?? ""
        guard let digit = family.firstIndex(where: \.isNumber) else { return "x86_64" }
        let afterGeneration = family[digit...].drop(while: \.isNumber)
        return family == "a1" || afterGeneration.first == "g" ? "arm64" : "x86_64"
    }

    public var resolvedAvailabilityZoneId: String {
        if let id = availabilityZoneId { return id }
        // The region's zone-id prefix (us-east-1 → use1, ap-southeast-2 → apse2) and the zone's
        // number; which number a letter gets differs between accounts, so a → 1 is as good as any.
        let letter = resolvedAvailabilityZone.last.flatMap { $0.asciiValue } ?? UInt8(ascii: "a")
        let index = Int(letter) - Int(UInt8(ascii: "a")) + 1
        return "\(RegionFacts.zoneIdPrefix(region))-az\(max(1, index))"
    }

    /// EC2's private DNS name: `ec2.internal` in us-east-1, `<region>.compute.internal` elsewhere.
    public var resolvedHostname: String { hostname ?? privateName(localIPv4) }

    /// The private DNS name EC2 gives `ip` in this region.
    func privateName(_ ip: String) -> String {
        let domain = region == "us-east-1" ? "ec2.internal" : "\(region).compute.internal"
        return "ip-" + ip.replacingEvery(".", with: "-") + "." + domain
    }

    public static func == (lhs: InstanceMetadata, rhs: InstanceMetadata) -> Bool {
        lhs.accountId == rhs.accountId && lhs.region == rhs.region && lhs.availabilityZone == rhs.availabilityZone
            && lhs.availabilityZoneId == rhs.availabilityZoneId && lhs.instanceId == rhs.instanceId
            && lhs.instanceType == rhs.instanceType && lhs.amiId == rhs.amiId && lhs.architecture == rhs.architecture
            && lhs.localIPv4 == rhs.localIPv4 && lhs.mac == rhs.mac && lhs.hostname == rhs.hostname
            && lhs.securityGroups == rhs.securityGroups && lhs.reservationId == rhs.reservationId
            && lhs.tags.elementsEqual(rhs.tags, by: { $0 == $1 }) && lhs.metadataTags == rhs.metadataTags
            && lhs.userData == rhs.userData
            && lhs.pendingTime == rhs.pendingTime && lhs.instanceLifeCycle == rhs.instanceLifeCycle
            && lhs.autoScalingGroup == rhs.autoScalingGroup && lhs.interfaceId == rhs.interfaceId
            && lhs.subnetId == rhs.subnetId && lhs.vpcId == rhs.vpcId && lhs.subnetCIDR == rhs.subnetCIDR
            && lhs.vpcCIDR == rhs.vpcCIDR && lhs.securityGroupIds == rhs.securityGroupIds
            && lhs.publicIPv4 == rhs.publicIPv4 && lhs.publicHostname == rhs.publicHostname
            && lhs.ipv6Addresses == rhs.ipv6Addresses && lhs.subnetIPv6CIDR == rhs.subnetIPv6CIDR
            && lhs.secondaryInterfaces == rhs.secondaryInterfaces
            && lhs.publicKeys.elementsEqual(rhs.publicKeys, by: { $0 == $1 })
            && lhs.blockDevices.elementsEqual(rhs.blockDevices, by: { $0 == $1 })
    }
}
