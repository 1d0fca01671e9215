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
            instanceId = try matching(path, value, #"^i-([0-9a-f]{8}|[0-9a-f]{17})$"#, "i- followed by 8 or 17 hex digits")
        case "instance-type":
            instanceType = try matching(path, value, #"^[a-z0-9-]+\.[a-z0-9-]+$"#, "a type such as t3.micro")
        case "ami-id":
            amiId = try matching(path, value, #"^ami-([0-9a-f]{8}|[0-9a-f]{17})$"#, "ami- followed by 8 or 17 hex digits")
        case "architecture":
            architecture = try matching(path, value, #"^(i386|x86_64|arm64)$"#, "i386, x86_64 or arm64")
        case "local-ipv4":
            localIPv4 = try matching(path, value, #"^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$"#, "an IPv4 address")
        case "mac":
            mac = try matching(path, value, #"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"#, "a lower-case MAC address such as 0e:1a:2b:3c:4d:5e")
        case "hostname":
            hostname = try matching(path, value, #"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$"#, "a DNS name")
        case "reservation-id":
            reservationId = try matching(path, value, #"^r-([0-9a-f]{8}|[0-9a-f]{17})$"#, "r- followed by 8 or 17 hex digits")
        case "security-groups":
            guard case .list(let items) = value, !items.isEmpty else {
                throw ConfigurationError(key: path, "must be a non-empty list of group names")
            }
            var groups: [String] = []
            for item in items {
                groups.append(try matching(path, item, #"^[^\n]{1,255}$"#, "group names of 1-255 characters"))
            }
            securityGroups = groups
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
        case "instance-life-cycle":
            instanceLifeCycle = try matching(path, value, #"^(on-demand|spot)$"#, "on-demand or spot")
        case "auto-scaling-group":
            autoScalingGroup = try matching(path, value, #"^[^\n:]{1,255}$"#, "a group name of 1-255 characters without :")
        default:
            throw ConfigurationError(key: path, "unknown setting; valid: \(Configuration.instanceKeys.joined(separator: ", "))")
        }
    }
}
