import Foundation

extension InstanceMetadata {
    /// Checks one `instance.*` value against the shape EC2 gives it, so that a typo in the
    /// file fails at start instead of confusing a client later.
    mutating func apply(_ path: String, _ key: String, _ value: ConfigValue) throws(ConfigurationError) {
        switch key {
        case "account-id":
            accountId = try matching(path, value, #"^[0-9]{12}$"#, "12 digits")
        case "region":
            region = try matching(path, value, #"^[a-z]{2}(-[a-z]+)+-[0-9]+$"#, "a region name such as us-east-1")
        case "availability-zone":
            availabilityZone = try matching(path, value, #"^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$"#, "a zone name such as us-east-1a")
        case "availability-zone-id":
            availabilityZoneId = try matching(path, value, #"^[a-z0-9]+-az[0-9]+$"#, "a zone id such as use1-az4")
        case "instance-id":
            instanceId = try resourceId(path, value, "i")
        case "instance-type":
            instanceType = try matching(path, value, #"^[a-z0-9-]+\.[a-z0-9-]+$"#, "a type such as t3.micro")
        case "ami-id":
            amiId = try resourceId(path, value, "ami")
        case "architecture":
            architecture = try matching(path, value, #"^(i386|x86_64|arm64)$"#, "i386, x86_64 or arm64")
        case "local-ipv4":
            localIPv4 = try matching(path, value, Self.ipv4Pattern, "an IPv4 address")
        case "mac":
            mac = try matching(path, value, #"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"#, "a lower-case MAC address such as 0e:1a:2b:3c:4d:5e")
        case "hostname":
            hostname = try matching(path, value, #"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$"#, "a DNS name")
        case "reservation-id":
            reservationId = try resourceId(path, value, "r")
        case "security-groups":
            securityGroups = try nonEmptyList(path, value, "group names") { item throws(ConfigurationError) in
                try matching(path, item, #"^[^\n]{1,255}$"#, "group names of 1-255 characters")
            }
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
        case "user-data":
            userData = try scalar(path, value)
        case "pending-time":
            let text = try scalar(path, value)
            guard let t = Timestamp(iso8601: text) else {
                throw ConfigurationError(key: path, "\"\(text)\" is not a time; valid: YYYY-MM-DDTHH:MM:SSZ")
            }
            pendingTime = t
        case "interface-id":
            interfaceId = try resourceId(path, value, "eni")
        case "subnet-id":
            subnetId = try resourceId(path, value, "subnet")
        case "vpc-id":
            vpcId = try resourceId(path, value, "vpc")
        case "subnet-ipv4-cidr-block":
            subnetCIDR = try cidrValue(path, value)
        case "vpc-ipv4-cidr-block":
            vpcCIDR = try cidrValue(path, value)
        case "security-group-ids":
            securityGroupIds = try nonEmptyList(path, value, "sg- ids, one per security group") { item throws(ConfigurationError) in
                try resourceId(path, item, "sg")
            }
        case "public-ipv4":
            publicIPv4 = try matching(path, value, Self.ipv4Pattern, "an IPv4 address")
        case "public-hostname":
            publicHostname = try matching(path, value, #"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$"#, "a DNS name")
        case "ipv6":
            let items: [ConfigValue]
            if case .list(let l) = value { items = l } else { items = [value] }
            var addresses: [String] = []
            for item in items {
                addresses.append(try matching(path, item, #"^[0-9a-f:]{2,39}$"#, "IPv6 addresses in lower case, such as 2600:1f18::10"))
            }
            ipv6Addresses = addresses
        case "subnet-ipv6-cidr-block":
            subnetIPv6CIDR = try matching(path, value, #"^[0-9a-f:]{2,39}/[0-9]{1,3}$"#, "an IPv6 CIDR block such as 2600:1f18:1::/64")
        case "public-keys":
            guard case .map(let members) = value else {
                throw ConfigurationError(key: path, "must be a mapping of key-pair names to OpenSSH public keys")
            }
            var keys: [(name: String, key: String)] = []
            for (name, key) in members {
                guard !name.isEmpty, name.count <= 255, !name.contains("="), !name.contains("/") else {
                    throw ConfigurationError(key: "\(path).\(name)", "is not a key-pair name; valid: 1-255 characters without = or /")
                }
                keys.append((name, try matching("\(path).\(name)", key, #"^(ssh|ecdsa|sk)-\S+ \S+( .*)?$"#, "an OpenSSH public key line such as ssh-ed25519 AAAA… name")))
            }
            publicKeys = keys
        case "block-device-mapping":
            guard case .map(let members) = value, !members.isEmpty else {
                throw ConfigurationError(key: path, "must be a mapping such as {ami: /dev/xvda, root: /dev/xvda, ebs1: sdb}")
            }
            var devices: [(name: String, device: String)] = []
            for (name, device) in members {
                guard name.range(of: #"^(ami|root|swap|ebs[0-9]+|ephemeral[0-9]+)$"#, options: .regularExpression) != nil else {
                    throw ConfigurationError(key: "\(path).\(name)", "is not a mapping name; valid: ami, root, swap, ebsN, ephemeralN")
                }
                devices.append((name, try matching("\(path).\(name)", device, #"^(/dev/)?[a-z0-9]+$"#, "a device such as /dev/xvda or sdb")))
            }
            blockDevices = devices
        case "instance-life-cycle":
            instanceLifeCycle = try matching(path, value, #"^(on-demand|spot)$"#, "on-demand or spot")
        case "auto-scaling-group":
            autoScalingGroup = try matching(path, value, #"^[^\n:]{1,255}$"#, "a group name of 1-255 characters without :")
        default:
            throw ConfigurationError(key: path, "unknown setting; valid: \(Configuration.instanceKeys.joined(separator: ", "))")
        }
    }

    /// `prefix-` and 8 or 17 lower-case hex digits, as EC2 writes resource ids.
    private func resourceId(_ path: String, _ value: ConfigValue, _ prefix: String) throws(ConfigurationError) -> String {
        try matching(path, value, "^\(prefix)-([0-9a-f]{8}|[0-9a-f]{17})$", "\(prefix)- followed by 8 or 17 hex digits")
    }

    private func nonEmptyList(_ path: String, _ value: ConfigValue, _ what: String,
                              _ each: (ConfigValue) throws(ConfigurationError) -> String) throws(ConfigurationError) -> [String] {
        guard case .list(let items) = value, !items.isEmpty else {
            throw ConfigurationError(key: path, "must be a non-empty list of \(what)")
        }
        var out: [String] = []
        for item in items { out.append(try each(item)) }
        return out
    }

    static let ipv4Pattern = #"^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$"#

    private func cidrValue(_ path: String, _ value: ConfigValue) throws(ConfigurationError) -> String {
        let text = try matching(path, value, #"^[0-9.]+/[0-9]{1,2}$"#, "an IPv4 CIDR block such as 172.31.16.0/20")
        let parts = text.split(separator: "/")
        guard let prefix = Int(parts[1]), prefix <= 32,
              String(parts[0]).range(of: Self.ipv4Pattern, options: .regularExpression) != nil,
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
        if let ids = securityGroupIds, ids.count != securityGroups.count {
            throw ConfigurationError(key: "instance.security-group-ids", "has \(ids.count) ids for \(securityGroups.count) security groups; give one each")
        }
        if publicHostname != nil, publicIPv4 == nil {
            throw ConfigurationError(key: "instance.public-hostname", "needs instance.public-ipv4")
        }
        if subnetIPv6CIDR != nil, ipv6Addresses.isEmpty {
            throw ConfigurationError(key: "instance.subnet-ipv6-cidr-block", "needs instance.ipv6")
        }
    }
}
