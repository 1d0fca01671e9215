import Testing
@testable import IMDSCore

@Suite struct ConfigurationTests {
    func build(_ values: [(String, ConfigValue)]) throws(ConfigurationError) -> Configuration {
        try Configuration(values: values.map { (key: $0.0, value: $0.1) })
    }

    func failure(_ values: [(String, ConfigValue)]) -> ConfigurationError? {
        do { _ = try build(values); return nil } catch { return error }
    }

    @Test func defaultsAreTheContract() throws {
        let c = try build([])
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 9254)])
        #expect(c.service.role == "imds-emulator")
        #expect(c.credentialLifetime == .hours(6))
        #expect(c.rotation == RotationSchedule(every: .hours(1), before: .minutes(30)))
        #expect(c.service.imdsv1Enabled == false)
        #expect(c.service.hopLimit == 1)
        #expect(c.accessLog == .stdout)
        #expect(!c.servesShortLivedSets)
    }

    @Test func laterValuesOverrideEarlierOnes() throws {
        let c = try build([("role", .scalar("from-file")), ("hop-limit", .scalar("3")), ("role", .scalar("from-flag"))])
        #expect(c.service.role == "from-flag")
        #expect(c.service.hopLimit == 3)
    }

    @Test func badValuesNameTheirKey() {
        let cases: [([(String, ConfigValue)], String)] = [
            ([("hop-limit", .scalar("0"))], "hop-limit"),
            ([("hop-limit", .scalar("65"))], "hop-limit"),
            ([("imdsv1", .scalar("maybe"))], "imdsv1"),
            ([("credential-lifetime", .scalar("6x"))], "credential-lifetime"),
            ([("rotate-before", .scalar("7h"))], "rotate-before"),
            ([("rotate-every", .scalar("soon"))], "rotate-every"),
            ([("listen", .scalar("nonsense"))], "listen"),
            ([("source", .scalar("nope"))], "source"),
            ([("colour", .scalar("blue"))], "colour"),
            ([("role", .list([]))], "role"),
            ([("instance", .map([("region", .scalar("Mars"))]))], "instance.region"),
            ([("instance", .map([("flavour", .scalar("x"))]))], "instance.flavour"),
            ([("instance", .map([("tags", .map([("a/b", .scalar("x"))]))]))], "instance.tags.a/b"),
            ([("credential-lifetime", .scalar("13h"))], "credential-lifetime"),
            // Found by the fuzzer: a duration too large for Int crashed the error message.
            ([("duration", .scalar("60688888888888888888888888888888888888888m"))], "duration"),
            ([("read-timeout", .scalar("1e400s"))], "read-timeout"),
            ([("rotate-every", .scalar("3651d"))], "rotate-every"),
        ]
        for (values, key) in cases {
            #expect(failure(values)?.key == key, "\(values)")
        }
    }

    @Test func instanceValuesStayConsistent() throws {
        let c = try build([("instance", .map([("region", .scalar("eu-west-1")), ("availability-zone", .scalar("eu-west-1b")),
                                               ("account-id", .scalar("210987654321"))]))])
        #expect(c.service.instance.resolvedAvailabilityZoneId == "euw1-az2")
        #expect(c.service.instance.resolvedHostname == "ip-172-31-16-10.eu-west-1.compute.internal")
        #expect(failure([("instance", .map([("region", .scalar("eu-west-1")), ("availability-zone", .scalar("us-east-1a"))]))])?.key
            == "instance.availability-zone")
    }

    @Test func throttleAndExtendedAPIStartAsConfigured() throws {
        let c = try build([("throttle-rps", .scalar("20")), ("extended-api", .scalar("enabled"))])
        #expect(c.service.throttleRPS == 20)
        #expect(c.service.extendedAPI)
        #expect(failure([("throttle-rps", .scalar("-1"))])?.key == "throttle-rps")
        #expect(failure([("extended-api", .scalar("yes"))])?.key == "extended-api")
    }

    @Test func limitsAreConfigurableWithinRanges() throws {
        let defaults = try build([]).limits
        #expect(defaults.maxConnections == 4096 && defaults.maxHeaders == 64 && defaults.readTimeout == Seconds(5))
        let c = try build([("max-connections", .scalar("10")), ("max-header-bytes", .scalar("4096")), ("max-headers", .scalar("8")),
                           ("max-request-line", .scalar("512")), ("max-body-bytes", .scalar("0")),
                           ("read-timeout", .scalar("500ms")), ("write-timeout", .scalar("2s"))])
        #expect(c.limits.maxConnections == 10 && c.limits.maxHeaderBytes == 4096 && c.limits.maxHeaders == 8)
        #expect(c.limits.maxRequestLine == 512 && c.limits.maxBodyBytes == 0)
        #expect(c.limits.readTimeout == Seconds(0.5) && c.limits.writeTimeout == Seconds(2))
        let bad: [(String, String)] = [("max-connections", "0"), ("max-connections", "many"), ("max-header-bytes", "100"),
                                       ("max-headers", "0"), ("max-request-line", "10"), ("max-body-bytes", "-1"),
                                       ("read-timeout", "0s"), ("read-timeout", "5"), ("write-timeout", "2h")]
        for (key, value) in bad {
            #expect(failure([(key, .scalar(value))])?.key == key, "\(key) \(value)")
        }
    }

    @Test func shortLifetimesAreAllowedButFlagged() throws {
        let c = try build([("credential-lifetime", .scalar("20s")), ("rotate-every", .scalar("2s")), ("rotate-before", .scalar("5s"))])
        #expect(c.servesShortLivedSets)
    }
}
