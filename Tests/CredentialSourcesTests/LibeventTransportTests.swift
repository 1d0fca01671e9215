import Foundation
import Glibc
import Testing
@testable import CredentialSources
@testable import IMDSCore

/// The STS transport against real servers on loopback: python's http.server (over TLS with
/// certificates `openssl req` made for the test) and silent sockets of the test's own.
@Suite(.serialized) struct LibeventTransportTests {
    /// Stands in for the request's signature: no message may ever contain it.
    let secret = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/secret-signature-0123456789"

    init() {
        signal(SIGPIPE, SIG_IGN)  // as the emulator does
    }

    func post(_ transport: LibeventTransport, _ url: String, body: String = "Action=AssumeRole") throws -> (status: Int, body: String) {
        let url = try #require(URL(string: url))
        let answer = try transport.send(method: "POST", url: url, headers: [("Authorization", secret), ("X-Test", "yes")],
                                        body: Array(body.utf8))
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    /// The message of the error `post` throws, checked to hold no secret.
    func failure(_ transport: LibeventTransport, _ url: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            let answer = try post(transport, url)
            Issue.record("answered \(answer.status)", sourceLocation: sourceLocation)
            return ""
        } catch {
            let message = "\(error)"
            #expect(!message.contains("secret-signature"), "\(message)", sourceLocation: sourceLocation)
            return message
        }
    }

    /// An HTTPS loopback server whose certificate is for `names`, while `body` runs.
    func servingTLS(names: String, _ body: (LoopbackServer, TestCertificate) throws -> Void) throws {
        let certificate = try TestCertificate(names: names)
        defer { certificate.remove() }
        let server = try LoopbackServer(certificate: certificate)
        defer { server.stop() }
        try body(server, certificate)
    }

    @Test func refusesACertificateNoTrustedCASigned() throws {
        try servingTLS(names: "DNS:localhost,IP:127.0.0.1") { server, _ in
            let message = failure(LibeventTransport(timeout: 5), "https://localhost:\(server.port)/echo")
            #expect(message.contains("certificate verify failed"), "\(message)")
            #expect(message.contains("self-signed"), "\(message)")
        }
    }

    @Test func acceptsATrustedCertificateForTheHost() throws {
        try servingTLS(names: "DNS:localhost,IP:127.0.0.1") { server, certificate in
            let transport = LibeventTransport(timeout: 5, caFile: certificate.certificate)
            for host in ["localhost", "127.0.0.1"] {
                let answer = try post(transport, "https://\(host):\(server.port)/echo", body: "Action=AssumeRole&Version=2011-06-15")
                #expect(answer.status == 200)
                #expect(answer.body.hasPrefix("POST /echo HTTP/1.1\nHost: \(host):\(server.port)\nConnection: close\nX-Test: yes\n\n"), "\(answer.body)")
                #expect(answer.body.hasSuffix("\n\nAction=AssumeRole&Version=2011-06-15"), "\(answer.body)")
            }
        }
    }

    @Test func refusesATrustedCertificateForAnotherHost() throws {
        try servingTLS(names: "DNS:sts.example.test") { server, certificate in
            let transport = LibeventTransport(timeout: 5, caFile: certificate.certificate)
            for host in ["localhost", "127.0.0.1"] {
                let message = failure(transport, "https://\(host):\(server.port)/echo")
                #expect(message.contains("host name mismatch"), "\(message)")
            }
        }
    }

    @Test func readsPlainHTTPAnswersAsTheyAreFramed() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let transport = LibeventTransport(timeout: 5)
        let base = "http://127.0.0.1:\(server.port)"
        let echoed = try post(transport, "\(base)/echo?x=1%2F", body: "")
        #expect(echoed.status == 200)
        #expect(echoed.body.hasPrefix("POST /echo?x=1%2F HTTP/1.1\nHost: 127.0.0.1:\(server.port)\n"), "\(echoed.body)")
        #expect(try post(transport, "\(base)/chunked") == (200, "<Chunked>in three parts</Chunked>"))
        #expect(try post(transport, "\(base)/interim") == (200, "after the interim answer"))
        #expect(try post(transport, "\(base)/until-close") == (200, "a body that ends where the connection does"))
        // A redirect is an answer like any other: returned, never followed.
        #expect(try post(transport, "\(base)/redirect") == (307, ""))
        let truncated = failure(transport, "\(base)/truncated")
        #expect(truncated == "127.0.0.1:\(server.port) closed the connection before the answer was complete", "\(truncated)")
    }

    @Test func stopsReadingPastTheSizeLimit() throws {
        let plain = try LoopbackServer()
        defer { plain.stop() }
        try servingTLS(names: "DNS:localhost") { tls, certificate in
            let transport = LibeventTransport(timeout: 20, caFile: certificate.certificate)
            for url in ["http://127.0.0.1:\(plain.port)", "https://localhost:\(tls.port)"] {
                for path in ["flood-length", "flood-close", "flood-chunked"] {
                    let started = Monotonic.seconds()
                    let message = failure(transport, "\(url)/\(path)")
                    #expect(message.contains("too large (over 1048576 bytes)"), "\(path): \(message)")
                    #expect(Monotonic.seconds() - started < 10, "\(path) read on past the limit")
                }
            }
        }
    }

    @Test func namesEachTimeLimitAndRefusal() throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let quick = LibeventTransport(timeout: 1.5, connectTimeout: 0.5)
        let handshake = failure(quick, "https://127.0.0.1:\(silent.port)/")
        #expect(handshake.contains("TLS handshake with 127.0.0.1:\(silent.port) did not finish within 0.5s"), "\(handshake)")
        let answer = failure(quick, "http://127.0.0.1:\(silent.port)/")
        #expect(answer == "no answer from 127.0.0.1:\(silent.port) within 1.5s", "\(answer)")
        let closed = silent.port
        silent.close()
        let refused = failure(quick, "http://127.0.0.1:\(closed)/")
        #expect(refused == "cannot connect to 127.0.0.1:\(closed) (127.0.0.1): Connection refused", "\(refused)")
        #expect(failure(quick, "http://127.0.0.1:70000/") == "http://127.0.0.1:70000/ has no valid port")
    }
}
