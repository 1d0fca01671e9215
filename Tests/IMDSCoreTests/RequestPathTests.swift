import Testing
@testable import IMDSCore

/// Routing reads targets over bytes; these pin what it makes of them.
@Suite struct RequestPathTests {
    @Test(arguments: [
        ("/", "/", nil, ""),
        ("", "", nil, ""),
        ("//", "/", nil, ""),
        ("/latest", "/latest", "latest", ""),
        ("/latest/", "/latest/", "latest", ""),
        ("/latest/meta-data/", "/latest/meta-data/", "latest", "meta-data/"),
        ("/latest//meta-data//iam", "/latest/meta-data/iam", "latest", "meta-data/iam"),
        ("///latest/api/token?x=1//", "/latest/api/token", "latest", "api/token"),
        ("/latest/user-data#frag", "/latest/user-data", "latest", "user-data"),
        ("?query", "", nil, ""),
        ("latest/meta-data", "latest/meta-data", "latest", "meta-data"),
        ("/2021-01-03/dynamic/instance-identity/document", "/2021-01-03/dynamic/instance-identity/document",
         "2021-01-03", "dynamic/instance-identity/document"),
        ("/lätest/mëta", "/lätest/mëta", "lätest", "mëta"),
    ] as [(String, String, String?, String)])
    func splitsAndCollapses(target: String, collapsed: String, version: String?, rest: String) {
        let path = RequestPath(target: target)
        #expect(path.collapsed == collapsed)
        #expect(path.version.map(String.init) == version)
        #expect(String(path.rest) == rest)
    }

    @Test(arguments: [
        ("/latest/api/token", PathClass.token),
        ("/latest/api/token/", .token),
        ("/latest//api//token", .token),
        ("/2021-01-03/api/token", .metadata),
        ("/latest/api/token/x", .metadata),
        ("/latest/api/tokens", .metadata),
        ("/latest/meta-data/iam/security-credentials", .roleList),
        ("/latest/meta-data/iam/security-credentials/", .roleList),
        ("/latest/meta-data/iam/security-credentials-extended/", .roleList),
        ("/latest/meta-data/iam/security-credentials/role", .credentials),
        ("/2021-01-03/meta-data/iam/security-credentials/role/", .credentials),
        ("/latest/meta-data/iam/security-credentials-extended/role", .credentials),
        ("/latest/meta-data/iam/security-credentialsX", .metadata),
        ("/latest/meta-data/iam/security-credentials-extendedX/role", .metadata),
        ("/latest/meta-data/iam", .metadata),
        ("/latest/meta-data/iam/info", .metadata),
        ("/", .metadata),
        ("/latest", .metadata),
    ] as [(String, PathClass)])
    func classifies(target: String, expected: PathClass) {
        #expect(PathClass(RequestPath(target: target)) == expected)
    }

    @Test(arguments: [
        ("169.254.169.254", "169.254.169.254"),
        ("169.254.169.254:80", "169.254.169.254"),
        ("LocalHost:8080", "localhost"),
        ("[FD00:EC2::254]:80", "fd00:ec2::254"),
        ("[fd00:ec2::254]", "fd00:ec2::254"),
        ("fd00:ec2::254", "fd00:ec2::254"),
        ("[fd00:ec2::254", "[fd00:ec2::254"),
        ("", ""),
        (":80", ""),
        ("Ünïcode.EXAMPLE:1", "Ünïcode.example"),
        ("a-very-long-host-name.Example.internal", "a-very-long-host-name.example.internal"),
    ])
    func normalizesHosts(host: String, expected: String) {
        #expect(HostCheck.normalize(host) == expected)
    }
}
