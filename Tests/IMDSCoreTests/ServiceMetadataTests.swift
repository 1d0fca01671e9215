import Testing
@testable import IMDSCore

@Suite struct ServiceMetadataTests {
    let service: IMDSService
    let t: String

    init() {
        var settings = ServiceSettings()
        settings.instance.tags = [("Name", "web"), ("team", "core")]
        service = makeService(settings).0
        t = token(service)
    }

    func body(_ path: String) -> String { get(service, path, token: t).body }

    @Test func listsVersionsAndTopLevel() {
        #expect(body("/").hasSuffix("2024-04-11\nlatest"))
        #expect(body("/").split(separator: "\n").contains("2009-04-04"))
        #expect(body("/latest/") == "dynamic\nmeta-data")
        #expect(body("/latest/meta-data") == body("/latest/meta-data/"))
    }

    @Test func listingsAreSortedWithSlashedDirectories() {
        let listing = body("/latest/meta-data/").split(separator: "\n").map(String.init)
        #expect(listing == listing.sorted())
        for entry in ["ami-id", "hostname", "iam/", "instance-id", "local-ipv4", "mac", "placement/", "services/", "tags/"] {
            #expect(listing.contains(entry), "\(entry)")
        }
        #expect(body("/latest/meta-data/placement/") == "availability-zone\navailability-zone-id\nregion")
        #expect(body("/latest/meta-data/tags/instance/") == "Name\nteam")
        #expect(body("/latest/meta-data/tags/instance/Name") == "web")
        #expect(body("/latest/meta-data/iam/security-credentials/") == "imds-emulator")
    }

    @Test func normalisesPaths() {
        let expected = body("/latest/meta-data/instance-id")
        #expect(expected == "i-0123456789abcdef0")
        #expect(body("/latest//meta-data//instance-id") == expected)
        #expect(body("//latest/meta-data/instance-id") == expected)
        #expect(body("/latest/meta-data/instance-id/") == expected)
        #expect(body("/2021-03-23/meta-data/instance-id") == expected)
        #expect(body("/latest/meta-data/instance-id?x=1") == expected)
        #expect(body("/latest/meta-data/placement/availability-zone/") == "us-east-1a")
    }

    @Test func servesDirectoriesWithOrWithoutTheirSlash() {
        // Real instances answer both forms with the listing (no 301 since about 2020).
        for dir in ["/latest/meta-data/placement", "/latest/meta-data/iam/security-credentials",
                    "/latest/meta-data", "/latest", "/2021-03-23", "/latest/dynamic/instance-identity"] {
            let bare = get(service, dir, token: t, headers: [("Host", "127.0.0.1:9254")])
            let slash = get(service, dir + "/", token: t)
            #expect(bare.status == 200, "\(dir)")
            #expect(bare.headers["Location"] == nil, "\(dir)")
            #expect(!bare.body.isEmpty && bare.body == slash.body, "\(dir)")
            #expect(bare.headers["Content-Type"] == "text/plain", "\(dir)")
        }
        #expect(get(service, "/latest/meta-data/iam/security-credentials", token: t).body == "imds-emulator")
    }

    @Test func unknownPathsAndVersionsAreNotFound() {
        for path in ["/latest/meta-data/nope", "/1999-01-01/meta-data/", "/latest/meta-data/iam/security-credentials/other",
                     "/latest/user-data", "/latest/meta-data/placement/region/x"] {
            let r = get(service, path, token: t)
            #expect(r.status == 404, "\(path)")
            #expect(r.headers["Content-Type"] == "text/html")
            #expect(r.body.contains("404 - Not Found"))
        }
    }

    @Test func credentialsAreServedAndAnnotated() {
        let r = get(service, "/latest/meta-data/iam/security-credentials/imds-emulator", token: t)
        #expect(r.status == 200)
        #expect(r.headers["Content-Type"] == "text/plain")
        #expect(r.body.hasPrefix("{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-21T22:00:00Z\""))
        #expect(r.annotation.role == "imds-emulator")
        #expect(r.annotation.accessKeyId == service.credentials?.accessKeyId)
        #expect(r.headers["Last-Modified"] == testStart.rfc1123)
    }

    @Test func expiredSetsAreNeverServed() {
        let (service, clock) = makeService()
        clock.advance(by: .hours(6))
        let r = get(service, "/latest/meta-data/iam/security-credentials/imds-emulator", token: token(service))
        #expect(r.status == 500)
        #expect(!r.body.contains("AccessKeyId"))
    }

    @Test func instanceProfileInfoAndIdentityDocumentAgree() {
        let info = body("/latest/meta-data/iam/info")
        #expect(info.contains("\"InstanceProfileArn\" : \"arn:aws:iam::123456789012:instance-profile/imds-emulator\""))
        let doc = body("/latest/dynamic/instance-identity/document")
        #expect(doc.contains("\"accountId\" : \"123456789012\""))
        #expect(doc.contains("\"region\" : \"us-east-1\""))
        #expect(doc.contains("\"availabilityZone\" : \"us-east-1a\""))
        #expect(doc.contains("\"billingProducts\" : null"))
        #expect(body("/latest/meta-data/placement/availability-zone-id") == "use1-az1")
        #expect(body("/latest/meta-data/hostname") == "ip-172-31-16-10.ec2.internal")
    }

    @Test func otherMethodsOnMetadataAreNotAllowed() {
        let r = service.handle(Request(method: .post, target: "/latest/meta-data/", headers: HTTPHeaders()))
        #expect(r.status == 405)
    }
}
