import Testing
@testable import IMDSCore

@Suite struct AccessRecordTests {
    @Test func writesOneJSONLineWithEveryField() {
        let record = AccessRecord(time: testStart, client: "127.0.0.1", port: 4242, method: "GET",
                                  path: "/latest/meta-data/iam/security-credentials/r", status: 200, bytes: 1298,
                                  durationMicroseconds: 17, userAgent: "Boto3/1.43 \"x\"",
                                  annotation: AccessAnnotation(imdsVersion: .v2, role: "r", accessKeyId: "ASIAEXAMPLE"))
        #expect(record.jsonLine == #"{"time":"2026-11-21T22:00:00.000Z","client":"127.0.0.1","port":4242,"method":"GET","path":"/latest/meta-data/iam/security-credentials/r","status":200,"bytes":1298,"duration_us":17,"user_agent":"Boto3/1.43 \"x\"","imds_version":"v2","role":"r","access_key_id":"ASIAEXAMPLE"}"#)
    }
}
