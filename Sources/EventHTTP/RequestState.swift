import CHTTPParser
import Glibc
import IMDSCore

/// What `RequestParser`'s callbacks collect from one request, with the limits they hold it to.
/// A callback returns 0 to go on, or -1 after setting `refusal` to stop the parser.
struct RequestState {
    let maxHeaderBytes: Int
    let maxBodyBytes: Int
    var target: [UInt8] = []
    var headers = HTTPHeaders(capacity: 8)
    var body: [UInt8] = []
    var expectsContinue = false
    var complete = false
    var refusal: Int?
    /// http-parser stopped at a method it does not know, after this many letters (all it
    /// took were letters); more bytes may be needed to say which answer.
    var unknownMethodLetters: Int?
    var methodSeen = false
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var inValue = false
    /// The request line and header lines so far: target, names and values, plus the
    /// separators, line ends and the protocol version around them.
    private var headerBytes = 0

    init(maxHeaderBytes: Int, maxBodyBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// Empty again, keeping the capacity its buffers have grown to.
    mutating func reset() {
        target.removeAll(keepingCapacity: true)
        headers.removeAll()
        body = []
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        inValue = false
        headerBytes = 0
        complete = false
        refusal = nil
        expectsContinue = false
        unknownMethodLetters = nil
        methodSeen = false
    }

    mutating func url(_ piece: UnsafeRawBufferPointer, parser: UnsafeMutablePointer<http_parser>) -> Int32 {
        // `METHOD ` before the first piece, ` HTTP/1.1` and the line end after it.
        let around = target.isEmpty ? strlen(http_method_str(http_method(UInt32(parser.pointee.method)))) + 12 : 0
        if headerBytesExceeded(adding: piece.count + around) { return -1 }
        target.append(contentsOf: piece)
        return 0
    }

    mutating func headerField(_ piece: UnsafeRawBufferPointer) -> Int32 {
        // `: ` and the line end, counted with the first piece of each name.
        if headerBytesExceeded(adding: piece.count + (inValue || field.isEmpty ? 4 : 0)) { return -1 }
        commitHeader()
        field.append(contentsOf: piece)
        return 0
    }

    mutating func headerValue(_ piece: UnsafeRawBufferPointer) -> Int32 {
        if headerBytesExceeded(adding: piece.count) { return -1 }
        inValue = true
        value.append(contentsOf: piece)
        return 0
    }

    mutating func headersComplete(_ parser: UnsafeMutablePointer<http_parser>) -> Int32 {
        commitHeader()
        if headerBytesExceeded(adding: 0) { return -1 }
        guard parser.pointee.http_major == 1 else {
            refusal = 400
            return -1
        }
        guard Self.method(parser) != nil else {
            refusal = 501
            return -1
        }
        let announced = parser.pointee.content_length
        if announced != UInt64.max, announced > UInt64(maxBodyBytes) {
            refusal = 413
            return -1
        }
        if announced != UInt64.max, announced > 0, let expect = headers["Expect"],
           expect.utf8.elementsEqual("100-continue".utf8) {
            expectsContinue = true
        }
        return 0
    }

    mutating func body(_ piece: UnsafeRawBufferPointer) -> Int32 {
        if body.count + piece.count > maxBodyBytes {
            refusal = 413
            return -1
        }
        body.append(contentsOf: piece)
        return 0
    }

    /// The methods IMDS answers (with 405 where they do not apply); nil for the rest.
    static func method(_ parser: UnsafeMutablePointer<http_parser>) -> HTTPMethod? {
        switch http_method(UInt32(parser.pointee.method)) {
        case HTTP_GET: return .get
        case HTTP_HEAD: return .head
        case HTTP_PUT: return .put
        case HTTP_POST: return .post
        case HTTP_DELETE: return .delete
        case HTTP_OPTIONS: return .options
        case HTTP_PATCH: return .patch
        case HTTP_TRACE: return .trace
        case HTTP_CONNECT: return .connect
        default: return nil
        }
    }

    private mutating func headerBytesExceeded(adding count: Int) -> Bool {
        headerBytes += count
        if headerBytes > maxHeaderBytes {
            refusal = 400
            return true
        }
        return false
    }

    private mutating func commitHeader() {
        guard inValue else { return }
        var end = value.count
        while end > 0, value[end - 1] == UInt8(ascii: " ") || value[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        headers.add(String(decoding: field, as: UTF8.self), String(decoding: value[..<end], as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        inValue = false
    }
}
