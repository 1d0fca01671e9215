import Testing
@testable import IMDSCore

/// Each shape accepts and refuses what the regular expression it replaced did (NSRegularExpression,
/// `^…$`); a differential run over random texts agreed on all of them when they were written.
@Suite struct ValueShapeTests {
    static let tables: [(name: String, shape: ValueShape, accepted: [String], refused: [String])] = [
        ("account-id", .accountId, ["123456789012", "000000000000"], ["12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢", ""]),
        ("region", .region, ["us-east-1", "us-gov-west-1", "eu-west-12", "ap-southeast-3"],
         ["us-east", "useast-1", "u-east-1", "us--1", "us-east-1a", "US-EAST-1", "us-east-", "-us-east-1", "us-é-1"]),
        ("availability-zone", .availabilityZone, ["us-east-1a", "us-gov-west-1b"], ["us-east-1", "us-east-1ab", "us-east-1A", "us-east-a"]),
        ("availability-zone-id", .availabilityZoneId, ["use1-az4", "a-az1", "usw2-az12"], ["use1-az", "use1az4", "-az4", "use1-az4-az5", "use1-AZ4", "us-e1-az4"]),
        ("instance-type", .instanceType, ["t3.micro", "u-6tb1.metal", "-.-"], ["t3", "t3.micro.x", ".micro", "t3.", "T3.micro"]),
        ("architecture", .architecture, ["i386", "x86_64", "arm64"], ["amd64", "x86_64 ", "ARM64", ""]),
        ("instance-life-cycle", .instanceLifeCycle, ["on-demand", "spot"], ["ondemand", "Spot", "spot "]),
        ("resource id", .resourceId("sg"), ["sg-0123abcd", "sg-0123456789abcdef0"],
         ["sg-0123abc", "sg-0123456789abcdef", "sg-0123ABCD", "i-0123abcd", "sg0123abcd", "sg-0123abcdg"]),
        ("dns name", .dnsName, ["ip-10-0-0-1.ec2.internal", "a", String(repeating: "a", count: 253)],
         [String(repeating: "a", count: 254), "-a", ".a", "a_b", "a b", ""]),
        ("ipv4", .ipv4, ["10.0.0.1", "0.0.0.0", "255.255.255.255", "01.2.3.4", "199.249.250.0"],
         ["256.1.1.1", "001.2.3.4", "1.2.3", "1.2.3.4.5", "1..3.4", "1.2.3.04a", " 1.2.3.4", "1.2.3.260"]),
        ("ipv4 CIDR", .ipv4CIDR, ["172.31.16.0/20", "1/1", "./12"], ["172.31.16.0", "172.31.16.0/200", "172.31.16.0/", "/20", "a.b/20"]),
        ("mac", .mac, ["0e:1a:2b:3c:4d:5e"], ["0E:1A:2B:3C:4D:5E", "0e:1a:2b:3c:4d", "0e:1a:2b:3c:4d:5e:6f", "0e-1a-2b-3c-4d-5e", "e:1a:2b:3c:4d:5e"]),
        ("ipv6", .ipv6, ["2600:1f18::10", "::"], [":", "2600:1F18::10", "2600:1f18::10/64", String(repeating: "a", count: 40)]),
        ("ipv6 CIDR", .ipv6CIDR, ["2600:1f18:1::/64", "::/0"], ["2600:1f18:1::", "2600:1f18:1::/1280", "2600:1f18:1::/", ":/64"]),
        ("security group name", .groupName, ["default", "a b", String(repeating: "é", count: 255)],
         ["", "a\nb", String(repeating: "x", count: 256)]),
        ("auto-scaling-group", .autoScalingGroup, ["my-group", "a b", String(repeating: "x", count: 255)], ["a:b", "", "a\nb", String(repeating: "x", count: 256)]),
        ("OpenSSH key", .openSSHKey, ["ssh-ed25519 AAAA name", "ecdsa-sha2-nistp256 AAAA", "sk-x y z w", "ssh-rsa AAAA ", "ssh-rsa AAAA a\tb"],
         ["ssh- AAAA", "ssh-rsa", "ssh-rsa  AAAA", "rsa AAAA", "ssh-rsa\tAAAA", "ssh-rsa AAAA\tname", "ssh-rsa AAAA a\nb"]),
        ("block device name", .blockDeviceName, ["ami", "root", "swap", "ebs1", "ephemeral0", "ebs12"], ["ebs", "ephemeral", "ebsx", "AMI", "sda"]),
        ("device", .device, ["/dev/xvda", "sdb", "nvme0n1"], ["/dev/", "dev/sda", "/dev/sd-a", "/dev//sda", "SDA", ""]),
        ("role ARN", .roleArn, ["arn:aws:iam::123456789012:role/x", "arn:aws-us-gov:iam::123456789012:role/path/to/My+Role",
                                "arn:aws-cn:iam::123456789012:role/a:b/c", "arn:aws:iam::123456789012:role/a//c"],
         ["arn:aws:iam::123456789012:role//x", "arn:aws:iam::123456789012:role/", "arn:aws:iam::12345678901:role/x", "arn:aws-:iam::123456789012:role/x",
          "arn:aws:iam:us-east-1:123456789012:role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:iam::123456789012:role/a b/x",
          "arn:aws:iam::123456789012:role/" + String(repeating: "x", count: 65)]),
        ("external-id", .externalId, ["ab", "x+=,.@:/_-y"], ["a", "a b", "a#b", String(repeating: "a", count: 1225)]),
        ("session-name", .sessionName, ["imds-emulator-host", String(repeating: "a", count: 64)], ["a", "a:b", "a/b", String(repeating: "a", count: 65)]),
        ("mfa-serial", .mfaSerial, ["arn:aws:iam::123456789012:mfa/user", "GAHT12345678"], ["GAHT1234", "GAHT 12345678", String(repeating: "a", count: 257)]),
        ("sts-endpoint", .endpointURL, ["https://sts.amazonaws.com/", "http://127.0.0.1:5000", "https://h/a?b#c"],
         ["https://", "ftp://h/", "https://h?x", "https://h#x", "https://a b/", "https://h/a b", "sts.amazonaws.com"]),
        ("profile", .profile, ["default", "dev-account"], ["my profile", "a[b]", "", "a\tb"]),
        ("command or path", .nonBlankLine, ["echo hi", " x ", "\tx\t"], ["", " ", "\t", "a\nb", "a\u{2028}b"]),
        ("allow-host", .hostName, ["[::1]", "localhost", "[::ffff:1.2.3.4]", "a.b-c"], ["[]", "[::1", "::1", "a_b", "[::g]", "a b"]),
        ("access key id", .accessKeyId, ["ASIAABCDEFGHIJKLMNOP", "A" + String(repeating: "B", count: 15)],
         ["AKIA123", "asiaabcdefghijklmnop", "BSIAABCDEFGHIJKLMNOP", "A" + String(repeating: "B", count: 128)]),
    ]

    @Test(arguments: tables.map(\.name))
    func acceptsAndRefusesAsTheExpressionDid(_ name: String) throws {
        let table = try #require(Self.tables.first { $0.name == name })
        for text in table.accepted { #expect(table.shape.matches(text), "\(name) should accept \(text.debugDescription)") }
        for text in table.refused { #expect(!table.shape.matches(text), "\(name) should refuse \(text.debugDescription)") }
    }

    /// The expressions' `$` also matched before one final line break: a block scalar's.
    @Test func oneFinalLineBreakIsAllowedAsBefore() {
        #expect(ValueShape.accountId.matches("123456789012\n"))
        #expect(ValueShape.accountId.matches("123456789012\r\n"))
        #expect(ValueShape.nonBlankLine.matches("my-command --flag\n"))
        #expect(ValueShape.region.matches("us-east-1\u{2028}"))
        #expect(!ValueShape.accountId.matches("123456789012\n\n"))
        #expect(!ValueShape.accountId.matches("123456789012\n\r"))
        #expect(!ValueShape.nonBlankLine.matches("echo a\necho b"))
        #expect(!ValueShape.accountId.matches("\n123456789012"))
    }

    @Test func refusalsSayWhatIsValid() {
        let cases: [(String, String, String)] = [
            ("account-id", "1234", "12 digits"),
            ("region", "Mars", "a region name such as us-east-1"),
            ("availability-zone", "us-east-1", "a zone name such as us-east-1a"),
            ("instance-id", "i-123", "i- followed by 8 or 17 hex digits"),
            ("local-ipv4", "10.0.0.256", "an IPv4 address"),
        ]
        for (key, value, valid) in cases {
            do {
                _ = try Configuration(values: [(key: "instance", value: .map([(key, .scalar(value))]))])
                Issue.record("instance.\(key): \(value) was accepted")
            } catch {
                #expect(error.key == "instance.\(key)")
                #expect(error.description.hasSuffix("\"\(value)\" is not valid; valid: \(valid)"), "\(error.description)")
            }
        }
        do {
            _ = try Configuration(values: [(key: "sts-region", value: .scalar("moon"))])
            Issue.record("sts-region: moon was accepted")
        } catch {
            #expect(error.description.hasSuffix("\"moon\" is not valid; valid: a region name such as us-east-1"))
        }
    }
}
