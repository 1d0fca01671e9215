extension NetworkInterface {
    static let keys = [
        "mac", "local-ipv4", "interface-id", "subnet-id", "subnet-ipv4-cidr-block", "security-groups",
        "security-group-ids", "public-ipv4", "ipv6", "subnet-ipv6-cidr-block",
    ]

    /// One entry of `instance.network-interfaces`, each value checked as the same key of the
    /// primary interface is.
    init(config: ConfigValue, path: String) throws(ConfigurationError) {
        self.init()
        guard case .map(let members) = config else {
            throw ConfigurationError(key: path, "must be a mapping of interface facts such as {local-ipv4: 172.31.16.20}")
        }
        for (key, value) in members {
            let at = "\(path).\(key)"
            switch key {
            case "mac": mac = try InstanceMetadata.mac(at, value)
            case "local-ipv4": localIPv4s = try InstanceMetadata.oneOrMore(at, value) { item throws(ConfigurationError) in
                try InstanceMetadata.ipv4(at, item)
            }
            case "interface-id": interfaceId = try InstanceMetadata.resourceId(at, value, "eni")
            case "subnet-id": subnetId = try InstanceMetadata.resourceId(at, value, "subnet")
            case "subnet-ipv4-cidr-block": subnetCIDR = try InstanceMetadata.cidrValue(at, value)
            case "security-groups": securityGroups = try InstanceMetadata.groupNames(at, value)
            case "security-group-ids": securityGroupIds = try InstanceMetadata.groupIds(at, value)
            case "public-ipv4": publicIPv4 = try InstanceMetadata.ipv4(at, value)
            case "ipv6": ipv6Addresses = try InstanceMetadata.ipv6List(at, value)
            case "subnet-ipv6-cidr-block": subnetIPv6CIDR = try InstanceMetadata.ipv6CIDR(at, value)
            default:
                throw ConfigurationError(key: at, "unknown interface setting; valid: \(Self.keys.joined(separator: ", "))")
            }
        }
    }
}
