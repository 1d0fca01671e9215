extension MetadataTree {
    /// The tree EC2 serves for an instance with these facts and this instance-profile role.
    /// `extendedAPI` adds `iam/security-credentials-extended/`, which most real instances
    /// answer with 404 (imds-behaviour.md §3.2).
    /// `events` holds the leaves instance events own (spot, maintenance, Auto Scaling); without
    /// it the tree is that of an instance with none.
    /// `signed` adds the document's signatures (`pkcs7`, `signature`, `rsa2048`).
    static func instance(_ m: InstanceMetadata, role: String, pendingTime: Timestamp,
                         extendedAPI: Bool = false, events: EventView? = nil,
                         signed: Bool = false) -> MetadataTree {
        var t = MetadataTree()
        let md = "meta-data/"
        let az = m.resolvedAvailabilityZone
        let hostname = m.resolvedHostname
        t.insert(md + "ami-id", .text(m.amiId))
        t.insert(md + "ami-launch-index", .text("0"))
        t.insert(md + "ami-manifest-path", .text("(unknown)"))
        for (name, device) in m.blockDevices {
            t.insert(md + "block-device-mapping/" + name, .text(device))
        }
        t.insert(md + "hostname", .text(hostname))
        t.insert(md + "iam/info", .instanceProfileInfo)
        t.insert(md + "iam/security-credentials/" + role, .credentials(role: role))
        if extendedAPI {
            t.insert(md + "iam/security-credentials-extended/" + role, .extendedCredentials(role: role))
        }
        t.insert(md + "instance-action", .text("none"))
        t.insert(md + "instance-id", .text(m.instanceId))
        t.insert(md + "instance-life-cycle", .text(m.instanceLifeCycle))
        t.insert(md + "instance-type", .text(m.instanceType))
        t.insert(md + "local-hostname", .text(hostname))
        t.insert(md + "local-ipv4", .text(m.localIPv4))
        t.insert(md + "mac", .text(m.mac))
        let nic = md + "network/interfaces/macs/\(m.mac)/"
        t.insert(nic + "device-number", .text("0"))
        t.insert(nic + "interface-id", .text(m.resolvedInterfaceId))
        t.insert(nic + "local-hostname", .text(hostname))
        t.insert(nic + "local-ipv4s", .text(m.localIPv4))
        t.insert(nic + "mac", .text(m.mac))
        t.insert(nic + "owner-id", .text(m.accountId))
        t.insert(nic + "security-group-ids", .text(m.resolvedSecurityGroupIds.joined(separator: "\n")))
        t.insert(nic + "security-groups", .text(m.securityGroups.joined(separator: "\n")))
        t.insert(nic + "subnet-id", .text(m.resolvedSubnetId))
        t.insert(nic + "subnet-ipv4-cidr-block", .text(m.resolvedSubnetCIDR))
        t.insert(nic + "vpc-id", .text(m.resolvedVpcId))
        t.insert(nic + "vpc-ipv4-cidr-block", .text(m.resolvedVpcCIDR))
        t.insert(nic + "vpc-ipv4-cidr-blocks", .text(m.resolvedVpcCIDR))
        if let ip = m.publicIPv4, let name = m.resolvedPublicHostname {
            t.insert(md + "public-ipv4", .text(ip))
            t.insert(md + "public-hostname", .text(name))
            t.insert(nic + "public-ipv4s", .text(ip))
            t.insert(nic + "public-hostname", .text(name))
            t.insert(nic + "ipv4-associations/" + ip, .text(m.localIPv4))
        }
        if !m.ipv6Addresses.isEmpty {
            t.insert(md + "ipv6", .text(m.ipv6Addresses[0]))
            t.insert(nic + "ipv6s", .text(m.ipv6Addresses.joined(separator: "\n")))
            if let cidr = m.subnetIPv6CIDR {
                t.insert(nic + "subnet-ipv6-cidr-blocks", .text(cidr))
            }
        }
        // `public-keys/` lists `N=name`; the key itself is at `public-keys/N/openssh-key`.
        for (i, pair) in m.publicKeys.enumerated() {
            t.insert(md + "public-keys/\(i)/openssh-key", .text(pair.key))
        }
        t.insert(md + "placement/availability-zone", .text(az))
        t.insert(md + "placement/availability-zone-id", .text(m.resolvedAvailabilityZoneId))
        t.insert(md + "placement/region", .text(m.region))
        t.insert(md + "profile", .text("default-hvm"))
        t.insert(md + "reservation-id", .text(m.reservationId))
        t.insert(md + "security-groups", .text(m.securityGroups.joined(separator: "\n")))
        t.insert(md + "services/domain", .text(RegionFacts.domain(m.region)))
        t.insert(md + "services/partition", .text(RegionFacts.partition(m.region)))
        for tag in m.tags {
            t.insert(md + "tags/instance/" + tag.key, .text(tag.value))
        }
        let view = events ?? EventSchedule().view(for: nil, at: pendingTime, autoScaling: m.autoScalingGroup != nil)
        for (path, body) in view.leaves {
            t.insert(path, .text(body))
        }
        t.insert("dynamic/instance-identity/document", .text(identityDocument(m, pendingTime: pendingTime)))
        if signed {
            for part in IdentitySignatures.Part.allCases {
                t.insert("dynamic/instance-identity/" + part.rawValue, .identitySignature(part))
            }
        }
        if let userData = m.userData {
            t.insert("user-data", .userData(userData))
        }
        if !m.publicKeys.isEmpty {
            t.relist(md + "public-keys", m.publicKeys.enumerated().map { "\($0.offset)=\($0.element.name)" })
        }
        t.seal()
        return t
    }

    /// The document exactly as served: what the signatures cover.
    static func identityDocument(_ m: InstanceMetadata, pendingTime: Timestamp) -> String {
        IdentityDocument.json(m, pendingTime: pendingTime).imdsPretty
    }
}
