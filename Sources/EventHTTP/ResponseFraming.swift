import IMDSCore

/// Turns a core `Response` into the bytes on the wire, with the framing every IMDS answer
/// carries after the core's own headers: `Content-Length`, `Date`, `Server`, and
/// `Connection: close` (IMDS answers one request per connection).
struct ResponseFraming {
    /// `EC2ws` for IMDS, the emulator's own name for the control API.
    let serverHeader: String
    private var dateCache = DateHeaderCache()
    /// Reused for every answer: the loop writes one answer at a time.
    private var out: [UInt8] = []

    init(serverHeader: String) {
        self.serverHeader = serverHeader
        out.reserveCapacity(2048)
    }

    /// The whole answer; a HEAD answer says how long the body is without sending it.
    mutating func bytes(of response: Response, now: Timestamp, head: Bool = false, http10: Bool = false) -> [UInt8] {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: http10 ? "HTTP/1.0 ".utf8 : "HTTP/1.1 ".utf8)
        append(String(response.status.code))
        out.append(UInt8(ascii: " "))
        append(response.status.reason)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in response.headers { header(name, value) }
        header("Content-Length", String(response.body.utf8.count))
        header("Date", dateCache.header(for: now))
        header("Server", serverHeader)
        header("Connection", "close")
        out.append(contentsOf: "\r\n".utf8)
        if !head { append(response.body) }
        return out
    }

    private mutating func header(_ name: String, _ value: String) {
        append(name)
        out.append(contentsOf: ": ".utf8)
        append(value)
        out.append(contentsOf: "\r\n".utf8)
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }
}

/// The `Date` header changes once a second; formatting it once per second, not per request.
struct DateHeaderCache {
    private var second = -1.0
    private var value = ""

    mutating func header(for now: Timestamp) -> String {
        let whole = now.wholeSeconds.secondsSinceEpoch
        if whole != second {
            second = whole
            value = now.rfc1123
        }
        return value
    }
}
