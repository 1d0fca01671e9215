/// The settings of the credential sources and the endpoints, as AWS documents them.
extension ValueShape {
    /// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, as IAM writes role ARNs: the partition
    /// is `aws` or `aws-` and words (`aws-us-gov`), the path any printable ASCII.
    static let roleArn = ValueShape { s in
        let fields = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].elementsEqual("arn".unicodeScalars), fields[2].elementsEqual("iam".unicodeScalars),
              fields[3].isEmpty, accountId.accepts(fields[4]), let role = fields[5].after("role/") else { return false }
        let partition = fields[1].split(separator: "-", omittingEmptySubsequences: false)
        guard partition[0].elementsEqual("aws".unicodeScalars),
              partition.dropFirst().allSatisfy({ $0.consists(of: \.isASCIILowercase, count: 1...) }) else { return false }
        var name = role
        if let slash = role.lastIndex(of: "/") {
            guard role[..<slash].consists(of: { ("!"..."~").contains($0) }, count: 1...) else { return false }
            name = role[role.index(after: slash)...]
        }
        return name.consists(of: { $0.isLetterOrDigit(or: "+=,.@_-") }, count: 1...64)
    }

    /// AssumeRole's ExternalId.
    static let externalId = ValueShape { $0.consists(of: { $0.isLetterOrDigit(or: "+=,.@:/_-") }, count: 2...1224) }

    /// AssumeRole's RoleSessionName.
    static let sessionName = ValueShape { $0.consists(of: { $0.isLetterOrDigit(or: "+=,.@_-") }, count: 2...64) }

    /// An MFA device's ARN or a hardware token's serial number.
    static let mfaSerial = ValueShape { $0.consists(of: { $0.isLetterOrDigit(or: "+=/:,.@_-") }, count: 9...256) }

    /// `http://` or `https://`, a host (and port) without spaces, then at most a path.
    static let endpointURL = ValueShape { s in
        guard let rest = s.after("https://") ?? s.after("http://") else { return false }
        let authority = rest.prefix { !$0.isSpace && $0 != "/" && $0 != "?" && $0 != "#" }
        let path = rest[authority.endIndex...]
        return !authority.isEmpty && (path.isEmpty || (path.first == "/" && !path.contains(where: \.isSpace)))
    }

    /// A profile of the shared config files: no spaces or brackets, which the files' section
    /// headers could not hold.
    static let profile = ValueShape { $0.consists(of: { !$0.isSpace && $0 != "[" && $0 != "]" }, count: 1...) }

    /// A command or a path: one line, not blank.
    static let nonBlankLine = ValueShape { s in
        !s.contains(where: \.isLineBreak) && s.contains { !$0.isSpace }
    }

    /// A Host name to accept: letters, digits, `.` and `-`, or an IPv6 address in brackets.
    static let hostName = ValueShape { s in
        if let inside = s.after("["), inside.last == "]" {
            return inside.dropLast().consists(of: { $0 == ":" || $0 == "." || $0.properties.isASCIIHexDigit }, count: 1...)
        }
        return s.consists(of: { $0.isLetterOrDigit(or: ".-") }, count: 1...)
    }

    /// An access key id as `imds-emulator check` expects it: `A` and 15-127 upper-case
    /// letters and digits (`AKIA…`, `ASIA…`).
    public static let accessKeyId = ValueShape { s in
        guard let rest = s.after("A") else { return false }
        return rest.consists(of: { $0.isASCIIDigit || ("A"..."Z").contains($0) }, count: 15...127)
    }
}
