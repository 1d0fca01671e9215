import FoundationEssentials
import Glibc
import Testing
@testable import CredentialSources
@testable import IMDSCore

/// Real `/bin/sh` commands standing in for a credential_process helper.
@Suite struct ProcessSourceTests {
    let now = Timestamp(iso8601: "2026-11-21T22:30:00Z")!

    func fetch(_ command: String, timeout: Double = 30) throws(CredentialSourceError) -> CredentialSet {
        try ProcessSource(command: command, lifetimeWithoutExpiration: .hours(1), timeout: timeout).fetch(now: now)
    }

    @Test func readsTheCredentialProcessContract() throws {
        let set = try fetch(#"echo '{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "sec", "SessionToken": "tok", "Expiration": "2026-11-22T00:00:00+01:00"}'"#)
        #expect(set.accessKeyId == "ASIAPROC")
        #expect(set.sessionToken == "tok")
        #expect(set.expiration.iso8601 == "2026-11-21T23:00:00Z")
    }

    @Test func longTermKeysGetTheConfiguredLifetime() throws {
        let set = try fetch(#"printf '{"Version":1,"AccessKeyId":"AKIAPROC","SecretAccessKey":"sec"}'"#)
        #expect(set.expiration == now + .hours(1))
        #expect(set.sessionToken == "")
    }

    @Test func failuresSayWhyWithoutQuotingStdout() {
        let cases: [(String, String)] = [
            ("echo 'vault sealed' >&2; echo '{\"SecretAccessKey\":\"s3cr3t\"}'; exit 3", "credential-process exited with status 3"),
            ("echo 's3cr3t not json'", "credential-process output is not valid JSON (16 bytes)"),
            (#"echo '{"Version":1,"AccessKeyId":"A"}'"#, "credential-process output has no SecretAccessKey"),
            (#"echo '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s3cr3t"}'"#, "credential-process output has Version 2; valid: 1"),
            (#"echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s3cr3t","Expiration":"yesterday"}'"#, "credential-process output has an Expiration that is not an ISO 8601 time"),
            (#"echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s3cr3t","Expiration":"2020-01-01T00:00:00Z"}'"#, "credential-process output expired at 2020-01-01T00:00:00Z"),
        ]
        for (command, message) in cases {
            do {
                _ = try fetch(command)
                Issue.record("\(command) succeeded")
            } catch {
                #expect(error.message == message)
                #expect(!error.message.contains("s3cr3t"))
            }
        }
    }

    @Test func aHangingCommandTimesOut() {
        #expect(throws: CredentialSourceError("the command did not finish within 1s")) {
            try fetch("sleep 20", timeout: 1)
        }
    }

    @Test func stderrIsADetailWithItsSecretsTakenOut() {
        do {
            _ = try fetch("echo 'error: token=AQoDYXdzEJr1234567890abcdef password: hunter2hunter2 for AKIAIOSFODNN7EXAMPLE' >&2; exit 1")
            Issue.record("succeeded")
        } catch {
            #expect(error.message == "credential-process exited with status 1")
            #expect(error.detail == "stderr: error: token=[redacted] password: [redacted] for AKIAIOSFODNN7EXAMPLE")
        }
    }

    /// A child started with `setsid` keeps the pipes open for its whole life; neither a
    /// finished helper nor a hung one may make the emulator wait for it.
    @Test func aChildHoldingThePipesIsNotWaitedFor() throws {
        let marker = "imds-test-\(UInt64.random(in: 0..<UInt64.max))"
        defer { killProcesses(markedWith: marker) }
        let started = Monotonic.seconds()
        let set = try fetch("setsid sh -c 'sleep 30; : \(marker)' & echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\",\"SecretAccessKey\":\"s\"}'", timeout: 5)
        #expect(set.accessKeyId == "AKIAPROC" && Monotonic.seconds() - started < 3)
        let hung = Monotonic.seconds()
        #expect(throws: CredentialSourceError("the command did not finish within 1s")) {
            try fetch("setsid sh -c 'sleep 30; : \(marker)' & sleep 30", timeout: 1)
        }
        #expect(Monotonic.seconds() - hung < 5)
    }
}

/// Ends the processes this test started (found by the marker in their command line), by PID.
private func killProcesses(markedWith marker: String) {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
              String(decoding: data, as: UTF8.self).contains(marker) else { continue }
        kill(pid, SIGKILL)
    }
}
