extension MetadataTree {
    /// The tree EC2 serves for an instance with these facts and this instance-profile role.
    /// `extendedAPI` adds `iam/security-credentials-extended/`, which most real instances
    /// answer with 404 (docs/imds-behaviour.md §3.2).
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
        t.insert(md + "identity-credentials/ec2/info", .identityCredentialsInfo)
        t.insert(md + "identity-credentials/ec2/security-credentials/ec2-instance", .identityCredentials)
        t.insert(md + "instance-action", .text("none"))
        t.insert(md + "instance-id", .text(m.instanceId))
        t.insert(md + "instance-life-cycle", .text(m.instanceLifeCycle))
        t.insert(md + "instance-type", .text(m.instanceType))
        t.insert(md + "local-hostname", .text(hostname))
        t.insert(md + "local-ipv4", .text(m.localIPv4))
        t.insert(md + "mac", .text(m.mac))
        for nic in m.interfaces {
            t.insertInterface(nic, under: md + "network/interfaces/macs/\(nic.mac)/", owner: m.accountId)
        }
        if let ip = m.publicIPv4, let name = m.resolvedPublicHostname {
            t.insert(md + "public-ipv4", .text(ip))
            t.insert(md + "public-hostname", .text(name))
        }
        if let first = m.ipv6Addresses.first {
            t.insert(md + "ipv6", .text(first))
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
        for tag in m.tags where m.metadataTags {
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

    /// `network/interfaces/macs/MAC/`: one interface's leaves, those of a public address and of
    /// IPv6 only when it has them, as on EC2.
    private mutating func insertInterface(_ nic: InterfaceFacts, under dir: String, owner: String) {
        insert(dir + "device-number", .text(String(nic.deviceNumber)))
        insert(dir + "interface-id", .text(nic.interfaceId))
        insert(dir + "local-hostname", .text(nic.localHostname))
        insert(dir + "local-ipv4s", .text(nic.localIPv4s.joined(separator: "\n")))
        insert(dir + "mac", .text(nic.mac))
        insert(dir + "owner-id", .text(owner))
        insert(dir + "security-group-ids", .text(nic.securityGroupIds.joined(separator: "\n")))
        insert(dir + "security-groups", .text(nic.securityGroups.joined(separator: "\n")))
        insert(dir + "subnet-id", .text(nic.subnetId))
        insert(dir + "subnet-ipv4-cidr-block", .text(nic.subnetCIDR))
        insert(dir + "vpc-id", .text(nic.vpcId))
        insert(dir + "vpc-ipv4-cidr-block", .text(nic.vpcCIDR))
        insert(dir + "vpc-ipv4-cidr-blocks", .text(nic.vpcCIDR))
        if let ip = nic.publicIPv4, let name = nic.publicHostname {
            insert(dir + "public-ipv4s", .text(ip))
            insert(dir + "public-hostname", .text(name))
            insert(dir + "ipv4-associations/" + ip, .text(nic.localIPv4s[0]))
        }
        if !nic.ipv6Addresses.isEmpty {
            insert(dir + "ipv6s", .text(nic.ipv6Addresses.joined(separator: "\n")))
            if let cidr = nic.subnetIPv6CIDR {
                insert(dir + "subnet-ipv6-cidr-blocks", .text(cidr))
            }
        }
    }

    /// The document exactly as served: what the signatures cover.
    static func identityDocument(_ m: InstanceMetadata, pendingTime: Timestamp) -> String {
        IdentityDocument.json(m, pendingTime: pendingTime).imdsPretty
    }
}
