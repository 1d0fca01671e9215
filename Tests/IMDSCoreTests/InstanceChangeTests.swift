import FoundationEssentials
import Testing
@testable import IMDSCore

/// `PATCH /v1/instance` and reloads: facts change while serving, only the changed values get
/// a new `Last-Modified`, bad changes are refused whole.
@Suite struct InstanceChangeTests {
    let md = "/latest/meta-data/"

    func parse(_ body: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
    }

    @Test func changedValuesAloneGetANewLastModified() {
        var settings = ServiceSettings()
        settings.instance.tags = [("Name", "a")]
        let (service, clock) = makeService(settings)
        let t = token(service)
        let started = get(service, md + "tags/instance/Name", token: t).headers["Last-Modified"]
        clock.advance(by: Seconds(90))
        let next = try? service.settings.instance.applying([("tags", .object([("Name", .string("b"))])),
                                                           ("user-data", .string("#!/bin/sh\n"))])
        let changed = next.map { service.updateInstance($0) } ?? []
        #expect(changed == ["meta-data/tags/instance/Name", "user-data"])
        let tag = get(service, md + "tags/instance/Name", token: t)
        #expect(tag.body == "b" && tag.headers["Last-Modified"] == clock.now().rfc1123 && tag.headers["Last-Modified"] != started)
        #expect(get(service, "/latest/user-data", token: t).headers["Last-Modified"] == clock.now().rfc1123)
        #expect(get(service, md + "instance-id", token: t).headers["Last-Modified"] == started, "unchanged values keep theirs")
    }

    @Test func aChangedDocumentIsSignedAgain() throws {
        let (service, clock) = makeService()
        let signer = try IdentitySigner.generate(now: clock.now(), region: "us-east-1")
        service.signIdentity(with: signer)
        let t = token(service)
        let before = get(service, "/latest/dynamic/instance-identity/signature", token: t).body
        let changed = service.updateInstance(try service.settings.instance.applying([("instance-type", .string("m5.large"))]))
        #expect(changed.contains("dynamic/instance-identity/document") && changed.contains("dynamic/instance-identity/pkcs7"))
        #expect(get(service, "/latest/dynamic/instance-identity/signature", token: t).body != before)
        #expect(get(service, md + "instance-type", token: t).body == "m5.large")
    }

    @Test func nullTakesAFactBackAndBadChangesNameTheirKey() throws {
        var m = InstanceMetadata()
        m.publicIPv4 = "3.4.5.6"
        m.availabilityZone = "us-east-1c"
        #expect(try m.applying([("public-ipv4", .null)]).publicIPv4 == nil)
        func refused(_ changes: [(String, JSONValue)]) -> String? {
            do { _ = try m.applying(changes); return nil } catch { return error.key }
        }
        #expect(refused([("region", .string("mars"))]) == "instance.region")
        #expect(refused([("region", .string("eu-west-1"))]) == "instance.availability-zone", "us-east-1c is not in eu-west-1")
        #expect(refused([("region", .string("eu-west-1")), ("availability-zone", .string("eu-west-1b"))]) == nil)
        #expect(refused([("instance-id", .null)]) == "instance.instance-id")
        #expect(refused([("colour", .string("blue"))]) == "instance.colour")
        #expect(refused([("public-hostname", .string("x.example.com")), ("public-ipv4", .null)]) == "instance.public-hostname")
    }

    @Test func tagsCanBeHiddenAsOnAnInstanceWithoutMetadataTags() throws {
        var settings = ServiceSettings()
        settings.instance.tags = [("Name", "a")]
        let (service, _) = makeService(settings)
        let t = token(service)
        service.updateInstance(try service.settings.instance.applying([("metadata-tags", .string("disabled"))]))
        #expect(get(service, md + "tags/instance/Name", token: t).status == 404)
        #expect(!get(service, md, token: t).body.contains("tags/"))
    }

    @Test func identityCredentialsAreASetOfTheirOwnRotatingOnTheirSchedule() throws {
        let (service, clock) = makeService()
        let t = token(service)
        let path = md + "identity-credentials/ec2/security-credentials/ec2-instance"
        let first = try parse(get(service, path, token: t).body)
        let role = try parse(get(service, md + "iam/security-credentials/imds-emulator", token: t).body)
        #expect(first["AccessKeyId"] != role["AccessKeyId"] && first["Code"] == .string("Success"))
        let info = try parse(get(service, md + "identity-credentials/ec2/info", token: t).body)
        #expect(info["AccountId"] == .string("123456789012") && info["LastUpdated"] == first["LastUpdated"])
        clock.advance(by: .minutes(59))
        #expect(try parse(get(service, path, token: t).body)["AccessKeyId"] == first["AccessKeyId"])
        clock.advance(by: .minutes(1))
        let second = try parse(get(service, path, token: t).body)
        #expect(second["AccessKeyId"] != first["AccessKeyId"])
        #expect(second["LastUpdated"] == .string(clock.now().iso8601))
        #expect(get(service, path, token: t).headers["Last-Modified"] == clock.now().rfc1123)
    }
}
