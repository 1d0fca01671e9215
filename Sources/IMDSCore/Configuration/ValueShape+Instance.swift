/// The instance's facts as EC2 writes them, so that a typo in the file fails at start
/// instead of confusing a client later.
extension ValueShape {
    /// 12 digits.
    static let accountId = ValueShape { $0.consists(of: \.isASCIIDigit, count: 12...12) }

    /// `us-east-1`, `us-gov-west-1`: two letters, one or more words, a number.
    static let region = ValueShape { s in
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let first = parts.first, let last = parts.last else { return false }
        return first.consists(of: \.isASCIILowercase, count: 2...2)
            && parts.dropFirst().dropLast().allSatisfy { $0.consists(of: \.isASCIILowercase, count: 1...) }
            && last.consists(of: \.isASCIIDigit, count: 1...)
    }

    /// A region and one letter: `us-east-1a`.
    static let availabilityZone = ValueShape { s in
        guard let letter = s.last, letter.isASCIILowercase else { return false }
        return region.accepts(s.dropLast())
    }

    /// `use1-az4`.
    static let availabilityZoneId = ValueShape { s in
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let number = parts[1].after("az") else { return false }
        return parts[0].consists(of: { $0.isASCIIDigit || $0.isASCIILowercase }, count: 1...)
            && number.consists(of: \.isASCIIDigit, count: 1...)
    }

    /// `t3.micro`: family and size, each of lower-case letters, digits and `-`.
    static let instanceType = ValueShape { s in
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy {
            $0.consists(of: { $0.isASCIIDigit || $0.isASCIILowercase || $0 == "-" }, count: 1...)
        }
    }

    static let architecture = oneOf("i386", "x86_64", "arm64")

    static let instanceLifeCycle = oneOf("on-demand", "spot")

    /// `prefix-` and 8 or 17 lower-case hex digits, as EC2 writes resource ids.
    static func resourceId(_ prefix: String) -> ValueShape {
        ValueShape { s in
            guard let digits = s.after(prefix + "-") else { return false }
            return (digits.count == 8 || digits.count == 17) && digits.allSatisfy(\.isLowercaseHexDigit)
        }
    }

    /// A host name of letters, digits, `.` and `-`, starting with a letter or digit; at most 253.
    static let dnsName = ValueShape { s in
        guard let first = s.first, first.isASCIILetterOrDigit else { return false }
        return s.consists(of: { $0.isLetterOrDigit(or: ".-") }, count: 1...253)
    }

    /// Four numbers 0-255 with dots; `01` passes, `001` does not.
    static let ipv4 = ValueShape { s in
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { octet in
            guard octet.consists(of: \.isASCIIDigit, count: 1...3), let value = Int(String(octet)) else { return false }
            return value <= 255 && !(octet.count == 3 && octet.first == "0")
        }
    }

    /// `172.31.16.0/20`, loosely: digits and dots, then a one- or two-digit prefix length.
    /// `InstanceMetadata.cidrValue` checks the address and the length properly.
    static let ipv4CIDR = ValueShape { s in
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts[0].consists(of: { $0.isASCIIDigit || $0 == "." }, count: 1...)
            && parts[1].consists(of: \.isASCIIDigit, count: 1...2)
    }

    /// `0e:1a:2b:3c:4d:5e`: six pairs of lower-case hex digits.
    static let mac = ValueShape { s in
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.consists(of: \.isLowercaseHexDigit, count: 2...2) }
    }

    /// `2600:1f18::10`, loosely: lower-case hex digits and colons, 2 to 39 of them.
    static let ipv6 = ValueShape { $0.consists(of: isIPv6Character, count: 2...39) }

    /// An IPv6 address as `ipv6` takes it, `/` and a prefix length of up to three digits.
    static let ipv6CIDR = ValueShape { s in
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts[0].consists(of: isIPv6Character, count: 2...39)
            && parts[1].consists(of: \.isASCIIDigit, count: 1...3)
    }

    private static func isIPv6Character(_ c: Unicode.Scalar) -> Bool { c.isLowercaseHexDigit || c == ":" }

    /// A security group name: 1-255 characters on one line.
    static let groupName = ValueShape { $0.consists(of: { $0 != "\n" }, count: 1...255) }

    /// An Auto Scaling group name: 1-255 characters on one line, without `:`.
    static let autoScalingGroup = ValueShape { $0.consists(of: { $0 != "\n" && $0 != ":" }, count: 1...255) }

    /// A line of `authorized_keys`: `ssh-…`, `ecdsa-…` or `sk-…`, one space, the key, and
    /// optionally a space and a comment.
    static let openSSHKey = ValueShape { s in
        let fields = s.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count >= 2 else { return false }
        let type = fields[0], key = fields[1]
        let named = ["ssh-", "ecdsa-", "sk-"].contains { (type.after($0)?.count ?? 0) > 0 }
        return named && !type.contains(where: \.isSpace)
            && !key.isEmpty && !key.contains(where: \.isSpace)
            && (fields.count == 2 || !fields[2].contains(where: \.isLineBreak))
    }

    /// The names of `block-device-mapping`: `ami`, `root`, `swap`, `ebsN`, `ephemeralN`.
    static let blockDeviceName = ValueShape { s in
        if oneOf("ami", "root", "swap").accepts(s) { return true }
        guard let number = s.after("ebs") ?? s.after("ephemeral") else { return false }
        return number.consists(of: \.isASCIIDigit, count: 1...)
    }

    /// `/dev/xvda` or `sdb`.
    static let device = ValueShape { s in
        (s.after("/dev/") ?? s).consists(of: { $0.isASCIIDigit || $0.isASCIILowercase }, count: 1...)
    }
}
