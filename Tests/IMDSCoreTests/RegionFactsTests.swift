import Testing
@testable import IMDSCore

@Suite struct RegionFactsTests {
    @Test func zoneIdsUseEachRegionsOwnPrefix() {
        for (zone, id) in [("ap-southeast-2a", "apse2-az1"), ("ap-northeast-1c", "apne1-az3"), ("us-gov-west-1a", "usgw1-az1"),
                           ("eu-central-1b", "euc1-az2"), ("cn-northwest-1a", "cnnw1-az1"), ("us-east-1a", "use1-az1"),
                           ("ap-southeast-9a", "apse9-az1"), ("us-isob-east-1a", "usibe1-az1")] {
            var m = InstanceMetadata()
            m.region = String(zone.dropLast())
            m.availabilityZone = zone
            #expect(m.resolvedAvailabilityZoneId == id, "\(zone)")
        }
    }

    @Test func partitionsAndDomains() {
        #expect(RegionFacts.partition("eu-west-1") == "aws" && RegionFacts.domain("eu-west-1") == "amazonaws.com")
        #expect(RegionFacts.partition("cn-north-1") == "aws-cn" && RegionFacts.domain("cn-north-1") == "amazonaws.com.cn")
        #expect(RegionFacts.partition("us-gov-east-1") == "aws-us-gov" && RegionFacts.domain("us-gov-east-1") == "amazonaws.com")
        #expect(RegionFacts.partition("us-iso-east-1") == "aws-iso" && RegionFacts.domain("us-iso-east-1") == "c2s.ic.gov")
        #expect(RegionFacts.partition("us-isob-east-1") == "aws-iso-b")
    }

    @Test func theTreeAgreesWithTheRegion() {
        var settings = ServiceSettings()
        settings.instance.region = "cn-north-1"
        settings.instance.availabilityZone = "cn-north-1b"
        let (service, _) = makeService(settings)
        let t = token(service)
        #expect(get(service, "/latest/meta-data/services/domain", token: t).body == "amazonaws.com.cn")
        #expect(get(service, "/latest/meta-data/services/partition", token: t).body == "aws-cn")
        #expect(get(service, "/latest/meta-data/placement/availability-zone-id", token: t).body == "cnn1-az2")
    }
}

@Suite struct InstanceTypeFactsTests {
    @Test func gravitonTypesAreArm64UnlessTheArchitectureIsGiven() {
        var m = InstanceMetadata()
        for (type, arch) in [("t3.micro", "x86_64"), ("t4g.nano", "arm64"), ("m7gd.large", "arm64"), ("c6gn.xlarge", "arm64"),
                             ("im4gn.large", "arm64"), ("a1.medium", "arm64"), ("g4dn.xlarge", "x86_64"), ("g5g.xlarge", "arm64"),
                             ("m5zn.large", "x86_64"), ("u-6tb1.metal", "x86_64")] {
            m.instanceType = type
            #expect(m.resolvedArchitecture == arch, "\(type)")
        }
        m.architecture = "x86_64"
        #expect(m.resolvedArchitecture == "x86_64")
    }
}
