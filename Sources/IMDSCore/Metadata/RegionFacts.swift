/// What a region name implies for the metadata: its partition, the partition's DNS suffix
/// (`services/domain`) and the prefix of its availability-zone ids.
public enum RegionFacts {
    /// Zone-id prefixes as AWS writes them. The prefixes follow a pattern (geography, compass
    /// point, number), but a table keeps the exceptions right (`us-gov-west-1` is `usgw1`).
    static let zoneIdPrefixes: [String: String] = [
        "us-east-1": "use1", "us-east-2": "use2", "us-west-1": "usw1", "us-west-2": "usw2",
        "us-gov-east-1": "usge1", "us-gov-west-1": "usgw1",
        "ca-central-1": "cac1", "ca-west-1": "caw1", "mx-central-1": "mxc1", "sa-east-1": "sae1",
        "eu-west-1": "euw1", "eu-west-2": "euw2", "eu-west-3": "euw3", "eu-central-1": "euc1",
        "eu-central-2": "euc2", "eu-north-1": "eun1", "eu-south-1": "eus1", "eu-south-2": "eus2",
        "af-south-1": "afs1", "il-central-1": "ilc1", "me-south-1": "mes1", "me-central-1": "mec1",
        "ap-east-1": "ape1", "ap-east-2": "ape2", "ap-south-1": "aps1", "ap-south-2": "aps2",
        "ap-northeast-1": "apne1", "ap-northeast-2": "apne2", "ap-northeast-3": "apne3",
        "ap-southeast-1": "apse1", "ap-southeast-2": "apse2", "ap-southeast-3": "apse3",
        "ap-southeast-4": "apse4", "ap-southeast-5": "apse5", "ap-southeast-6": "apse6",
        "ap-southeast-7": "apse7", "cn-north-1": "cnn1", "cn-northwest-1": "cnnw1",
    ]

    /// For a region the table does not know yet, the same pattern, word by word.
    private static let words: [String: String] = [
        "north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne",
        "northwest": "nw", "southeast": "se", "southwest": "sw", "gov": "g", "iso": "i", "isob": "ib",
        "isoe": "ie", "isof": "if",
    ]

    public static func zoneIdPrefix(_ region: String) -> String {
        if let known = zoneIdPrefixes[region] { return known }
        let parts = region.split(separator: "-").map(String.init)
        guard let first = parts.first else { return region }
        return first + parts.dropFirst().map { words[$0] ?? $0 }.joined()
    }

    public static func partition(_ region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        if region.hasPrefix("us-isob-") { return "aws-iso-b" }
        if region.hasPrefix("us-iso-") { return "aws-iso" }
        if region.contains("-isoe-") { return "aws-iso-e" }
        if region.contains("-isof-") { return "aws-iso-f" }
        return "aws"
    }

    /// `services/domain`: the partition's DNS suffix.
    public static func domain(_ region: String) -> String {
        switch partition(region) {
        case "aws-cn": return "amazonaws.com.cn"
        case "aws-iso": return "c2s.ic.gov"
        case "aws-iso-b": return "sc2s.sgov.gov"
        case "aws-iso-e": return "cloud.adc-e.uk"
        case "aws-iso-f": return "csp.hci.ic.gov"
        default: return "amazonaws.com"
        }
    }
}
