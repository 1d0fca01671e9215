extension InstanceMetadata {
    /// Checks one `instance.*` value against the shape EC2 gives it, so that a typo in the
    /// file fails at start instead of confusing a client later.
    mutating func apply(_ path: String, _ key: String, _ value: ConfigValue) throws(ConfigurationError) {
        switch key {
        case "account-id":
            accountId = try matching(path, value, .accountId, "12 digits")
        case "region":
            region = try matching(path, value, .region, "a region name such as us-east-1")
        case "availability-zone":
            availabilityZone = try matching(path, value, .availabilityZone, "a zone name such as us-east-1a")
        case "availability-zone-id":
            availabilityZoneId = try matching(path, value, .availabilityZoneId, "a zone id such as use1-az4")
        case "instance-id":
            instanceId = try Self.resourceId(path, value, "i")
        case "instance-type":
            instanceType = try matching(path, value, .instanceType, "a type such as t3.micro")
        case "ami-id":
            amiId = try Self.resourceId(path, value, "ami")
        case "architecture":
            architecture = try matching(path, value, .architecture, "i386, x86_64 or arm64")
        case "local-ipv4":
            localIPv4 = try Self.ipv4(path, value)
        case "mac":
            mac = try Self.mac(path, value)
        case "hostname":
            hostname = try Self.dnsName(path, value)
        case "reservation-id":
            reservationId = try Self.resourceId(path, value, "r")
        case "security-groups":
            securityGroups = try Self.groupNames(path, value)
        case "tags":
            guard case .map(let members) = value else {
                throw ConfigurationError(key: path, "must be a mapping of tag keys to values")
            }
            var out: [(key: String, value: String)] = []
            for (tagKey, tagValue) in members {
                // EC2 refuses to expose tags whose keys contain `/` or are `.`/`..` in metadata.
                guard !tagKey.isEmpty, tagKey.count <= 128, !tagKey.contains("/"), tagKey != ".", tagKey != ".." else {
                    throw ConfigurationError(key: "\(path).\(tagKey)", "is not a tag key metadata can serve; valid: 1-128 characters without /")
                }
                out.append((tagKey, try scalar("\(path).\(tagKey)", tagValue)))
            }
            tags = out
        case "metadata-tags":
            metadataTags = try enabled(path, value)
        case "user-data":
            userData = try scalar(path, value)
        case "pending-time":
            let text = try scalar(path, value)
            guard let t = Timestamp(iso8601: text) else {
                throw ConfigurationError(key: path, "\"\(text)\" is not a time; valid: YYYY-MM-DDTHH:MM:SSZ")
            }
            pendingTime = t
        case "interface-id":
            interfaceId = try Self.resourceId(path, value, "eni")
        case "subnet-id":
            subnetId = try Self.resourceId(path, value, "subnet")
        case "vpc-id":
            vpcId = try Self.resourceId(path, value, "vpc")
        case "subnet-ipv4-cidr-block":
            subnetCIDR = try Self.cidrValue(path, value)
        case "vpc-ipv4-cidr-block":
            vpcCIDR = try Self.cidrValue(path, value)
        case "security-group-ids":
            securityGroupIds = try Self.groupIds(path, value)
        case "public-ipv4":
            publicIPv4 = try Self.ipv4(path, value)
        case "public-hostname":
            publicHostname = try Self.dnsName(path, value)
        case "ipv6":
            ipv6Addresses = try Self.ipv6List(path, value)
        case "subnet-ipv6-cidr-block":
            subnetIPv6CIDR = try Self.ipv6CIDR(path, value)
        case "network-interfaces":
            guard case .list(let items) = value else {
                throw ConfigurationError(key: path, "must be a list of interfaces (mappings), device 1 first")
            }
            var nics: [NetworkInterface] = []
            for (i, item) in items.enumerated() {
                nics.append(try NetworkInterface(config: item, path: "\(path)[\(i)]"))
            }
            secondaryInterfaces = nics
        case "public-keys":
            guard case .map(let members) = value else {
                throw ConfigurationError(key: path, "must be a mapping of key-pair names to OpenSSH public keys")
            }
            var keys: [(name: String, key: String)] = []
            for (name, key) in members {
                guard !name.isEmpty, name.count <= 255, !name.contains("="), !name.contains("/") else {
                    throw ConfigurationError(key: "\(path).\(name)", "is not a key-pair name; valid: 1-255 characters without = or /")
                }
                keys.append((name, try matching("\(path).\(name)", key, .openSSHKey, "an OpenSSH public key line such as ssh-ed25519 AAAA… name")))
            }
            publicKeys = keys
        case "block-device-mapping":
            guard case .map(let members) = value, !members.isEmpty else {
                throw ConfigurationError(key: path, "must be a mapping such as {ami: /dev/xvda, root: /dev/xvda, ebs1: sdb}")
            }
            var devices: [(name: String, device: String)] = []
            for (name, device) in members {
                guard ValueShape.blockDeviceName.matches(name) else {
                    throw ConfigurationError(key: "\(path).\(name)", "is not a mapping name; valid: ami, root, swap, ebsN, ephemeralN")
                }
                devices.append((name, try matching("\(path).\(name)", device, .device, "a device such as /dev/xvda or sdb")))
            }
            blockDevices = devices
        case "instance-life-cycle":
            instanceLifeCycle = try matching(path, value, .instanceLifeCycle, "on-demand or spot")
        case "auto-scaling-group":
            autoScalingGroup = try matching(path, value, .autoScalingGroup, "a group name of 1-255 characters without :")
        default:
            throw ConfigurationError(key: path, "unknown setting; valid: \(Configuration.instanceKeys.joined(separator: ", "))")
        }
    }

    /// Takes `key` back to its default: what the control API's `null` means. Only facts an
    /// instance can be without (or that have a derived default) can be cleared.
    mutating func clear(_ path: String, _ key: String) throws(ConfigurationError) {
        let defaults = InstanceMetadata()
        switch key {
        case "availability-zone": availabilityZone = nil
        case "availability-zone-id": availabilityZoneId = nil
        case "hostname": hostname = nil
        case "tags": tags = []
        case "user-data": userData = nil
        case "pending-time": pendingTime = nil
        case "auto-scaling-group": autoScalingGroup = nil
        case "interface-id": interfaceId = nil
        case "subnet-id": subnetId = nil
        case "vpc-id": vpcId = nil
        case "subnet-ipv4-cidr-block": subnetCIDR = nil
        case "vpc-ipv4-cidr-block": vpcCIDR = nil
        case "security-group-ids": securityGroupIds = nil
        case "public-ipv4": publicIPv4 = nil
        case "public-hostname": publicHostname = nil
        case "ipv6": ipv6Addresses = []
        case "subnet-ipv6-cidr-block": subnetIPv6CIDR = nil
        case "public-keys": publicKeys = []
        case "block-device-mapping": blockDevices = defaults.blockDevices
        case "network-interfaces": secondaryInterfaces = []
        default:
            guard Configuration.instanceKeys.contains(key) else {
                throw ConfigurationError(key: path, "unknown setting; valid: \(Configuration.instanceKeys.joined(separator: ", "))")
            }
            throw ConfigurationError(key: path, "cannot be removed, only changed")
        }
    }

    /// The checks that need every fact at once: the network agrees with itself and the zone
    /// lies in the region.
    func check() throws(ConfigurationError) {
        try checkNetwork()
        let az = resolvedAvailabilityZone
        guard az.count == region.count + 1, az.hasPrefix(region), let letter = az.last, letter.isASCII, letter.isLowercase else {
            throw ConfigurationError(key: "instance.availability-zone", "\"\(az)\" is not in region \(region); valid: the region followed by one letter, e.g. \(region)a")
        }
    }

    static func resourceId(_ path: String, _ value: ConfigValue, _ prefix: String) throws(ConfigurationError) -> String {
        try matching(path, value, .resourceId(prefix), "\(prefix)- followed by 8 or 17 hex digits")
    }

    static func nonEmptyList(_ path: String, _ value: ConfigValue, _ what: String,
                              _ each: (ConfigValue) throws(ConfigurationError) -> String) throws(ConfigurationError) -> [String] {
        guard case .list(let items) = value, !items.isEmpty else {
            throw ConfigurationError(key: path, "must be a non-empty list of \(what)")
        }
        var out: [String] = []
        for item in items { out.append(try each(item)) }
        return out
    }

    static func dnsName(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
        try matching(path, value, .dnsName, "a DNS name")
    }

    static func ipv4(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
        try matching(path, value, .ipv4, "an IPv4 address")
    }

    static func mac(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
        try matching(path, value, .mac, "a lower-case MAC address such as 0e:1a:2b:3c:4d:5e")
    }

    static func groupNames(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> [String] {
        try nonEmptyList(path, value, "group names") { item throws(ConfigurationError) in
            try matching(path, item, .groupName, "group names of 1-255 characters")
        }
    }

    static func groupIds(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> [String] {
        try nonEmptyList(path, value, "sg- ids, one per security group") { item throws(ConfigurationError) in
            try resourceId(path, item, "sg")
        }
    }

    static func ipv6List(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> [String] {
        try oneOrMore(path, value) { item throws(ConfigurationError) in
            try matching(path, item, .ipv6, "IPv6 addresses in lower case, such as 2600:1f18::10")
        }
    }

    static func ipv6CIDR(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
        try matching(path, value, .ipv6CIDR, "an IPv6 CIDR block such as 2600:1f18:1::/64")
    }

    /// One value or a list of them, each checked by `each`.
    static func oneOrMore(_ path: String, _ value: ConfigValue,
                          _ each: (ConfigValue) throws(ConfigurationError) -> String) throws(ConfigurationError) -> [String] {
        let items: [ConfigValue]
        if case .list(let l) = value { items = l } else { items = [value] }
        guard !items.isEmpty else { throw ConfigurationError(key: path, "needs at least one value") }
        var out: [String] = []
        for item in items { out.append(try each(item)) }
        return out
    }

    static func cidrValue(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
        let text = try matching(path, value, .ipv4CIDR, "an IPv4 CIDR block such as 172.31.16.0/20")
        let parts = text.split(separator: "/")
        guard let prefix = Int(parts[1]), prefix <= 32,
              ValueShape.ipv4.matches(String(parts[0])),
              Self.cidr(String(parts[0]), prefix: prefix) == text else {
            throw ConfigurationError(key: path, "\"\(text)\" is not a network address with its prefix length, e.g. 172.31.16.0/20")
        }
        return text
    }

    /// The interface facts must agree: the subnet inside the VPC, the address inside both,
    /// one group id per group, a public name only with a public address.
    func checkNetwork() throws(ConfigurationError) {
        guard Self.contains(resolvedSubnetCIDR, localIPv4) else {
            throw ConfigurationError(key: "instance.subnet-ipv4-cidr-block", "\(resolvedSubnetCIDR) does not contain local-ipv4 \(localIPv4)")
        }
        guard Self.contains(resolvedVpcCIDR, localIPv4) else {
            throw ConfigurationError(key: "instance.vpc-ipv4-cidr-block", "\(resolvedVpcCIDR) does not contain local-ipv4 \(localIPv4)")
        }
        if publicHostname != nil, publicIPv4 == nil {
            throw ConfigurationError(key: "instance.public-hostname", "needs instance.public-ipv4")
        }
        if subnetIPv6CIDR != nil, ipv6Addresses.isEmpty {
            throw ConfigurationError(key: "instance.subnet-ipv6-cidr-block", "needs instance.ipv6")
        }
        try checkInterfaces()
    }

    /// Every interface in a subnet of the one VPC, with addresses inside its subnet, and no
    /// MAC, address or interface id used twice.
    private func checkInterfaces() throws(ConfigurationError) {
        var macs: [String: String] = [:], addresses: [String: String] = [:], ids: [String: String] = [:]
        var subnets: [String: String] = [:]
        for nic in interfaces {
            let at = nic.deviceNumber == 0 ? "instance" : "instance.network-interfaces[\(nic.deviceNumber - 1)]"
            let given = nic.deviceNumber == 0 ? nil : secondaryInterfaces[nic.deviceNumber - 1]
            for ip in nic.localIPv4s where !Self.contains(nic.subnetCIDR, ip) {
                throw ConfigurationError(key: at + ".local-ipv4", "\(ip) is not in the interface's subnet \(nic.subnetCIDR)")
            }
            let vpcPrefix = Int(nic.vpcCIDR.split(separator: "/").last ?? "") ?? 0
            let subnetPrefix = Int(nic.subnetCIDR.split(separator: "/").last ?? "") ?? 0
            let network = String(nic.subnetCIDR.split(separator: "/").first ?? "")
            guard subnetPrefix >= vpcPrefix, Self.contains(nic.vpcCIDR, network) else {
                throw ConfigurationError(key: at + ".subnet-ipv4-cidr-block", "\(nic.subnetCIDR) is not inside the VPC's \(nic.vpcCIDR)")
            }
            if let other = subnets[nic.subnetId], other != nic.subnetCIDR {
                throw ConfigurationError(key: at + ".subnet-id", "\(nic.subnetId) is already the subnet \(other); one subnet has one CIDR block")
            }
            subnets[nic.subnetId] = nic.subnetCIDR
            if nic.securityGroupIds.count != nic.securityGroups.count {
                throw ConfigurationError(key: at + ".security-group-ids", "has \(nic.securityGroupIds.count) ids for \(nic.securityGroups.count) security groups; give one each")
            }
            if given?.subnetIPv6CIDR != nil, nic.ipv6Addresses.isEmpty {
                throw ConfigurationError(key: at + ".subnet-ipv6-cidr-block", "needs \(at).ipv6")
            }
            if let first = macs.updateValue(at, forKey: nic.mac) {
                throw ConfigurationError(key: at + ".mac", "\(nic.mac) is also the MAC of \(first)")
            }
            if let first = ids.updateValue(at, forKey: nic.interfaceId) {
                throw ConfigurationError(key: at + ".interface-id", "\(nic.interfaceId) is also the id of \(first)")
            }
            for ip in nic.localIPv4s {
                if let first = addresses.updateValue(at, forKey: ip) {
                    throw ConfigurationError(key: at + ".local-ipv4", "\(ip) is also an address of \(first)")
                }
            }
        }
    }
}
