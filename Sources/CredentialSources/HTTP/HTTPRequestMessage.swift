import IMDSCore

/// The bytes of one HTTP/1.1 request: request line, `Host`, `Content-Length`,
/// `Connection: close` (one request per connection, so the answer ends where the
/// connection does when it has no length), the caller's headers, then the body.
enum HTTPRequestMessage {
    static func bytes(method: String, target: HTTPTarget, headers: [(String, String)], body: [UInt8]) throws(CredentialSourceError) -> [UInt8] {
        let fields = [("Host", target.hostHeader), ("Content-Length", String(body.count)), ("Connection", "close")] + headers
        // A CR or LF would end a header early and let a value start a header of its own.
        let unsafe = { (s: String) in s.utf8.contains { $0 == 13 || $0 == 10 } }
        guard !unsafe(method), !unsafe(target.requestTarget), !fields.contains(where: { unsafe($0.0) || unsafe($0.1) }) else {
            throw CredentialSourceError("refusing to send a request whose headers contain a line break", isRetryable: false)
        }
        var head = "\(method) \(target.requestTarget) HTTP/1.1\r\n"
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}
