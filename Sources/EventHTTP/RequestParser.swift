import CHTTPParser
import Glibc
import IMDSCore

/// Reads one request off a connection with nodejs/http-parser, holding the connection's
/// limits while the bytes arrive: the request line and headers together within
/// `maxHeaderBytes` (400 past it, as libevent's evhttp answered; counted from what the
/// parser hands over, so the count does not depend on how the bytes were split into reads),
/// the body within
/// `maxBodyBytes` (413, as soon as a Content-Length announces more). Header count and
/// request-line length are checked on the finished request (`ServerLimits.refusal`).
///
/// IMDS answers one request per connection and closes, so the parser stops at the end of the
/// first message and whatever a client pipelined after it is never read.
///
/// Public for the fuzz target, which feeds it the bytes a client could send, in pieces.
public final class RequestParser {
    public enum Outcome: Equatable {
        /// The request is not all there yet.
        case needMore
        case complete
        /// The adapter answers this status itself and closes.
        case refuse(Int)
    }

    private let parser: UnsafeMutablePointer<http_parser>
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int

    private var target: [UInt8] = []
    private var headers = HTTPHeaders(capacity: 8)
    private var body: [UInt8] = []
    /// The client asked to be told to go on before it sends its body (`Expect: 100-continue`).
    private(set) var expectsContinue = false
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var inValue = false
    /// The request line and header lines so far: target, names and values, plus the
    /// separators, line ends and the protocol version around them.
    private var headerBytes = 0
    private var complete = false
    private var refusal: Int?
    /// http-parser stopped at a method it does not know, after this many letters (all it
    /// took were letters); more bytes may be needed to say which answer.
    private var unknownMethodLetters: Int?
    private var methodSeen = false

    public init(maxHeaderBytes: Int, maxBodyBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        parser = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_REQUEST)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
    }

    /// Ready for the next connection, keeping the buffers it has grown (the listener reuses
    /// parsers rather than allocate them per connection).
    func reset() {
        http_parser_init(parser, HTTP_REQUEST)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        target.removeAll(keepingCapacity: true)
        headers = HTTPHeaders(capacity: 8)
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

    /// Nil for a method IMDS does not implement.
    var method: HTTPMethod? { Self.method(http_method(UInt32(parser.pointee.method))) }
    /// 1.0 answers go out as 1.0, everything else as 1.1.
    var isHTTP10: Bool { parser.pointee.http_major == 1 && parser.pointee.http_minor == 0 }

    /// Feeds the next bytes read from the socket; an empty buffer says the client closed.
    public func feed(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        if complete { return .complete }
        if let refusal { return .refuse(refusal) }
        if let letters = unknownMethodLetters { return unknownMethod(bytes[...], after: letters) }
        // Where the method begins, if in these bytes (http-parser skips empty lines before it).
        var methodStart: Int?
        if !methodSeen, let first = bytes.firstIndex(where: { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }) {
            methodStart = first
            methodSeen = true
        }
        let chars = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        let parsed = withUnsafePointer(to: Self.callbacks) { http_parser_execute(parser, $0, chars, bytes.count) }
        if let refusal { return .refuse(refusal) }
        if complete { return .complete }
        switch imds_http_errno(parser) {
        case HPE_OK:
            return .needMore
        case HPE_INVALID_METHOD:
            // http-parser stopped at the byte at `parsed`; unless that byte was the method's
            // first, the `index` letters before it (in this read or earlier ones) began a
            // method it knows.
            return unknownMethod(bytes[parsed...], after: methodStart == parsed ? 0 : Int(parser.pointee.index))
        default:
            refusal = 400
            return .refuse(400)
        }
    }

    /// The request as the core sees it, once `feed` said it is complete.
    public func request(clientAddress: String, clientPort: Int) -> Request {
        Request(method: method ?? .other, target: String(decoding: target, as: UTF8.self), headers: headers,
                clientAddress: clientAddress, clientPort: clientPort, body: body)
    }

    /// `FOO /` is a method IMDS does not implement (501); `\0garbage` is not HTTP (400). The
    /// answer waits until a space or another byte decides it, so it does not depend on how
    /// the request was split into reads.
    private func unknownMethod(_ rest: Slice<UnsafeRawBufferPointer>, after letters: Int) -> Outcome {
        var letters = letters
        for byte in rest {
            if byte == UInt8(ascii: " ") {
                refusal = letters > 0 ? 501 : 400
                return .refuse(refusal ?? 400)
            }
            guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20), letters < Self.longestMethod else {
                refusal = 400
                return .refuse(400)
            }
            letters += 1
        }
        unknownMethodLetters = letters
        return .needMore
    }

    private static let longestMethod = 16

    private func headerBytesExceeded(adding count: Int) -> Bool {
        headerBytes += count
        if headerBytes > maxHeaderBytes {
            refusal = 400
            return true
        }
        return false
    }

    private func commitHeader() {
        guard inValue else { return }
        var end = value.count
        while end > 0, value[end - 1] == UInt8(ascii: " ") || value[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        headers.add(String(decoding: field, as: UTF8.self), String(decoding: value[..<end], as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        inValue = false
    }

    private func headersComplete() -> Int32 {
        commitHeader()
        if headerBytesExceeded(adding: 0) { return -1 }
        guard parser.pointee.http_major == 1 else {
            refusal = 400
            return -1
        }
        guard Self.method(http_method(UInt32(parser.pointee.method))) != nil else {
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

    private static func method(_ method: http_method) -> HTTPMethod? {
        switch method {
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

    private static func this(_ parser: UnsafeMutablePointer<http_parser>?) -> RequestParser? {
        guard let data = parser?.pointee.data else { return nil }
        return Unmanaged<RequestParser>.fromOpaque(data).takeUnretainedValue()
    }

    private static func bytes(_ at: UnsafePointer<CChar>?, _ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: at, count: at == nil ? 0 : count)
    }

    private static let callbacks: http_parser_settings = {
        var s = http_parser_settings()
        s.on_url = { parser, at, count in
            guard let me = this(parser) else { return -1 }
            // `METHOD ` before the first piece, ` HTTP/1.1` and the line end after it.
            let around = me.target.isEmpty ? strlen(http_method_str(http_method(UInt32(parser?.pointee.method ?? 0)))) + 12 : 0
            if me.headerBytesExceeded(adding: count + around) { return -1 }
            me.target.append(contentsOf: bytes(at, count))
            return 0
        }
        s.on_header_field = { parser, at, count in
            guard let me = this(parser) else { return -1 }
            // `: ` and the line end, counted with the first piece of each name.
            if me.headerBytesExceeded(adding: count + (me.inValue || me.field.isEmpty ? 4 : 0)) { return -1 }
            me.commitHeader()
            me.field.append(contentsOf: bytes(at, count))
            return 0
        }
        s.on_header_value = { parser, at, count in
            guard let me = this(parser) else { return -1 }
            if me.headerBytesExceeded(adding: count) { return -1 }
            me.inValue = true
            me.value.append(contentsOf: bytes(at, count))
            return 0
        }
        s.on_headers_complete = { parser in
            this(parser)?.headersComplete() ?? -1
        }
        s.on_body = { parser, at, count in
            guard let me = this(parser) else { return -1 }
            if me.body.count + count > me.maxBodyBytes {
                me.refusal = 413
                return -1
            }
            me.body.append(contentsOf: bytes(at, count))
            return 0
        }
        s.on_message_complete = { parser in
            guard let me = this(parser) else { return -1 }
            me.complete = true
            // Stop here: anything pipelined after the first request stays unread.
            http_parser_pause(parser, 1)
            return 0
        }
        return s
    }()
}
