/// An interface attached besides the primary one (device 0, whose facts are the instance's
/// own `mac`, `local-ipv4`, `subnet-id`…), as configured under `instance.network-interfaces`.
/// Every fact may be left out and then takes a default that agrees with the rest.
public struct NetworkInterface: Sendable, Equatable {
    public var mac: String?
    /// Private addresses, the primary first; empty: the instance's address plus the device number.
    public var localIPv4s: [String] = []
    public var interfaceId: String?
    /// Another subnet of the instance's VPC; nil: the primary interface's.
    public var subnetId: String?
    public var subnetCIDR: String?
    public var securityGroups: [String]?
    public var securityGroupIds: [String]?
    public var publicIPv4: String?
    public var ipv6Addresses: [String] = []
    public var subnetIPv6CIDR: String?

    public init() {}
}

/// One interface with every fact settled: what `network/interfaces/macs/MAC/` serves.
public struct InterfaceFacts: Sendable, Equatable {
    public var deviceNumber: Int
    public var mac: String
    public var interfaceId: String
    public var localIPv4s: [String]
    public var localHostname: String
    public var subnetId: String
    public var subnetCIDR: String
    public var vpcId: String
    public var vpcCIDR: String
    public var securityGroups: [String]
    public var securityGroupIds: [String]
    public var publicIPv4: String?
    public var publicHostname: String?
    public var ipv6Addresses: [String]
    public var subnetIPv6CIDR: String?
}
