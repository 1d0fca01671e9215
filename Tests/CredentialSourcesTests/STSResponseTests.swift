import Testing
@testable import CredentialSources
@testable import IMDSCore

@Suite struct STSResponseTests {
    @Test func readsAssumeRoleCredentials() throws {
        let xml = """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <SourceIdentity>dev</SourceIdentity>
            <AssumedRoleUser>
              <Arn>arn:aws:sts::123456789012:assumed-role/demo/s1</Arn>
              <AssumedRoleId>AROA123EXAMPLE123:s1</AssumedRoleId>
            </AssumedRoleUser>
            <Credentials>
              <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
              <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
              <SessionToken>IQoJb3JpZ2luX2Vj+token/==</SessionToken>
              <Expiration>2026-11-21T23:30:00.123Z</Expiration>
            </Credentials>
            <PackedPolicySize>6</PackedPolicySize>
          </AssumeRoleResult>
          <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
        </AssumeRoleResponse>
        """
        let r = try #require(STSResponse.parse(Array(xml.utf8)))
        #expect(r.accessKeyId == "ASIAIOSFODNN7EXAMPLE")
        #expect(r.sessionToken == "IQoJb3JpZ2luX2Vj+token/==")
        #expect(r.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/demo/s1")
        let set = try r.credentialSet(fetchedAt: Timestamp(iso8601: "2026-11-21T22:30:00Z")!)
        #expect(set.expiration.iso8601 == "2026-11-21T23:30:00Z")
        #expect(set.lastUpdated.iso8601 == "2026-11-21T22:30:00Z")
    }

    @Test func readsGetSessionTokenAndRejectsIncompleteAnswers() {
        let ok = "<GetSessionTokenResponse><GetSessionTokenResult><Credentials><SessionToken>t</SessionToken><SecretAccessKey>s</SecretAccessKey><Expiration>2026-11-22T10:00:00Z</Expiration><AccessKeyId>ASIAX</AccessKeyId></Credentials></GetSessionTokenResult></GetSessionTokenResponse>"
        #expect(STSResponse.parse(Array(ok.utf8))?.accessKeyId == "ASIAX")
        let missing = "<GetSessionTokenResponse><GetSessionTokenResult><Credentials><AccessKeyId>ASIAX</AccessKeyId></Credentials></GetSessionTokenResult></GetSessionTokenResponse>"
        #expect(STSResponse.parse(Array(missing.utf8)) == nil)
        #expect(STSResponse.parse(Array("not xml".utf8)) == nil)
    }

    @Test func readsErrorResponses() throws {
        let xml = """
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <Error><Type>Sender</Type><Code>AccessDenied</Code>
            <Message>User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo</Message>
          </Error>
          <RequestId>4b0d3d3c-0000-0000-0000-000000000000</RequestId>
        </ErrorResponse>
        """
        let e = try #require(STSErrorResponse.parse(Array(xml.utf8)))
        #expect(e.code == "AccessDenied")
        #expect(e.message.hasPrefix("User: arn:aws:iam::123456789012:user/dev is not authorized"))
        #expect(e.requestId == "4b0d3d3c-0000-0000-0000-000000000000")
        #expect(!e.isRetryable)
        #expect(STSErrorResponse(code: "Throttling", message: "", requestId: nil).isRetryable)
    }

    @Test func readsPrefixedNamesEntitiesAndCDATAAsText() throws {
        // Text may reach the parser's callback in pieces (around entities and CDATA); a
        // namespace prefix does not change the element's name.
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sts:AssumeRoleResponse xmlns:sts="https://sts.amazonaws.com/doc/2011-06-15/">
          <sts:AssumeRoleResult><sts:Credentials>
            <sts:AccessKeyId>ASIA&#x41;BC</sts:AccessKeyId>
            <sts:SecretAccessKey>a&amp;b&lt;c</sts:SecretAccessKey>
            <sts:SessionToken><![CDATA[tok+/=]]>en</sts:SessionToken>
            <sts:Expiration>2026-11-22T10:00:00Z</sts:Expiration>
          </sts:Credentials></sts:AssumeRoleResult>
        </sts:AssumeRoleResponse>
        """
        let r = try #require(STSResponse.parse(Array(xml.utf8)))
        #expect(r.accessKeyId == "ASIAABC")
        #expect(r.secretAccessKey == "a&b<c")
        #expect(r.sessionToken == "tok+/=en")
    }

    @Test func entityExpansionAttacksYieldNothing() {
        // A "billion laughs" document: expat refuses the amplification; no credentials.
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
        for i in 1...9 { xml += "<!ENTITY \(Character(UnicodeScalar(97 + i)!)) \"" + String(repeating: "&\(Character(UnicodeScalar(96 + i)!));", count: 10) + "\">" }
        xml += "]><AssumeRoleResponse><Credentials><AccessKeyId>&j;</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2026-11-22T10:00:00Z</Expiration></Credentials></AssumeRoleResponse>"
        #expect(STSResponse.parse(Array(xml.utf8)) == nil)
    }

    @Test func truncatedDocumentsYieldNothing() {
        let xml = "<R><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t"
        #expect(STSResponse.parse(Array(xml.utf8)) == nil)
        #expect(STSErrorResponse.parse([]) == nil)
    }
}
