import Glibc
import IMDSCore

/// Writes the head of an answer (status line and headers) with the framing every IMDS answer
/// carries after the core's own headers: `Content-Length`, `Date`, `Server`, and
/// `Connection: close` (IMDS answers one request per connection). The head goes into one
/// buffer reused for every answer; the body is sent from the response's own storage.
struct ResponseFraming {
    /// `EC2ws` for IMDS, the emulator's own name for the control API.
    let serverHeader: String
    private var dateCache = DateHeaderCache()
    private var head: UnsafeMutableRawBufferPointer
    private var count = 0

    init(serverHeader: String) {
        self.serverHeader = serverHeader
        head = .allocate(byteCount: 4096, alignment: 16)
    }

    /// The buffer lives as long as its server; `HTTPServer.deinit` frees it.
    func free() {
        head.deallocate()
    }

    /// The head of `response`'s answer, valid until the next call. A HEAD answer says how
    /// long the body is, and the caller sends none.
    mutating func head(of response: Response, now: Timestamp, http10: Bool = false) -> UnsafeRawBufferPointer {
        count = 0
        put(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
        decimal(response.status.code)
        put(" ")
        put(response.status.reason)
        put("\r\n")
        for (name, value) in response.headers { header(name, value) }
        put("Content-Length: ")
        decimal(response.body.utf8.count)
        put("\r\nDate: ")
        put(dateCache.header(for: now))
        put("\r\nServer: ")
        put(serverHeader)
        put("\r\nConnection: close\r\n\r\n")
        return UnsafeRawBufferPointer(rebasing: head[..<count])
    }

    private mutating func header(_ name: String, _ value: String) {
        put(name)
        put(": ")
        put(value)
        put("\r\n")
    }

    /// A number's digits, written straight into the head rather than through a String.
    private mutating func decimal(_ value: Int) {
        reserve(20)
        let start = count
        var rest = value.magnitude
        repeat {
            head[count] = UInt8(ascii: "0") + UInt8(rest % 10)
            count += 1
            rest /= 10
        } while rest > 0
        var digits = UnsafeMutableRawBufferPointer(rebasing: head[start..<count])
        digits.reverse()
    }

    private mutating func put(_ text: StaticString) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func put(_ text: String) {
        // Native strings (all the core makes) hand their bytes over without a copy.
        if text.utf8.withContiguousStorageIfAvailable({ put(UnsafeRawBufferPointer($0)) }) == nil {
            for byte in text.utf8 { put(byte) }
        }
    }

    private mutating func put(_ byte: UInt8) {
        reserve(1)
        head[count] = byte
        count += 1
    }

    private mutating func put(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        UnsafeMutableRawBufferPointer(rebasing: head[count...]).copyMemory(from: bytes)
        count += bytes.count
    }

    /// Room for `more` bytes; a head larger than any IMDS answer's (many or long core
    /// headers) grows the buffer.
    private mutating func reserve(_ more: Int) {
        guard count + more > head.count else { return }
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(head.count * 2, count + more), alignment: 16)
        larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: head[..<count]))
        head.deallocate()
        head = larger
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
