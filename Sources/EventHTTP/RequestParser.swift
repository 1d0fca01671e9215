import CHTTPParser
import Glibc
import IMDSCore

/// Reads one request off a connection with nodejs/http-parser, holding the connection's
/// limits while the bytes arrive: the request line and headers together within
/// `maxHeaderBytes` (400 past it, as libevent's evhttp answered; counted from what the parser
/// hands over, so the count does not depend on how the bytes were split into reads), the body
/// within `maxBodyBytes` (413, as soon as a Content-Length announces more). Header count and
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
    /// What the callbacks collect. It sits behind a pointer, which http-parser hands back to
    /// every callback, so they reach it without going through this object.
    private let state: UnsafeMutablePointer<RequestState>

    public init(maxHeaderBytes: Int, maxBodyBytes: Int) {
        parser = .allocate(capacity: 1)
        state = .allocate(capacity: 1)
        state.initialize(to: RequestState(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes))
        http_parser_init(parser, HTTP_REQUEST)
        parser.pointee.data = UnsafeMutableRawPointer(state)
    }

    deinit {
        parser.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Ready for the next connection, keeping the buffers it has grown (the listener reuses
    /// parsers rather than allocate them per connection).
    func reset() {
        http_parser_init(parser, HTTP_REQUEST)
        parser.pointee.data = UnsafeMutableRawPointer(state)
        state.pointee.reset()
    }

    /// Nil for a method IMDS does not implement.
    var method: HTTPMethod? { RequestState.method(parser) }
    /// 1.0 answers go out as 1.0, everything else as 1.1.
    var isHTTP10: Bool { parser.pointee.http_major == 1 && parser.pointee.http_minor == 0 }
    /// The client asked to be told to go on before it sends its body (`Expect: 100-continue`).
    var expectsContinue: Bool { state.pointee.expectsContinue }

    /// Feeds the next bytes read from the socket; an empty buffer says the client closed.
    public func feed(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        if state.pointee.complete { return .complete }
        if let refusal = state.pointee.refusal { return .refuse(refusal) }
        if let letters = state.pointee.unknownMethodLetters { return unknownMethod(bytes[...], after: letters) }
        // Where the method begins, if in these bytes (http-parser skips empty lines before it).
        var methodStart: Int?
        if !state.pointee.methodSeen,
           let first = bytes.firstIndex(where: { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }) {
            methodStart = first
            state.pointee.methodSeen = true
        }
        let chars = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        let parsed = withUnsafePointer(to: Self.callbacks) { http_parser_execute(parser, $0, chars, bytes.count) }
        if let refusal = state.pointee.refusal { return .refuse(refusal) }
        if state.pointee.complete { return .complete }
        switch imds_http_errno(parser) {
        case HPE_OK:
            return .needMore
        case HPE_INVALID_METHOD:
            // http-parser stopped at the byte at `parsed`; unless that byte was the method's
            // first, the `index` letters before it (in this read or earlier ones) began a
            // method it knows.
            return unknownMethod(bytes[parsed...], after: methodStart == parsed ? 0 : Int(parser.pointee.index))
        default:
            state.pointee.refusal = 400
            return .refuse(400)
        }
    }

    /// The request as the core sees it, once `feed` said it is complete.
    public func request(clientAddress: String, clientPort: Int) -> Request {
        Request(method: method ?? .other, target: String(decoding: state.pointee.target, as: UTF8.self),
                headers: state.pointee.headers, clientAddress: clientAddress, clientPort: clientPort,
                body: state.pointee.body)
    }

    /// `FOO /` is a method IMDS does not implement (501); `\0garbage` is not HTTP (400). The
    /// answer waits until a space or another byte decides it, so it does not depend on how
    /// the request was split into reads.
    private func unknownMethod(_ rest: Slice<UnsafeRawBufferPointer>, after letters: Int) -> Outcome {
        var letters = letters
        for byte in rest {
            if byte == UInt8(ascii: " ") {
                let status = letters > 0 ? 501 : 400
                state.pointee.refusal = status
                return .refuse(status)
            }
            guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20), letters < Self.longestMethod else {
                state.pointee.refusal = 400
                return .refuse(400)
            }
            letters += 1
        }
        state.pointee.unknownMethodLetters = letters
        return .needMore
    }

    private static let longestMethod = 16

    private static func state(_ parser: UnsafeMutablePointer<http_parser>?) -> UnsafeMutablePointer<RequestState>? {
        parser?.pointee.data?.assumingMemoryBound(to: RequestState.self)
    }

    private static func bytes(_ at: UnsafePointer<CChar>?, _ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: at, count: at == nil ? 0 : count)
    }

    private static let callbacks: http_parser_settings = {
        var s = http_parser_settings()
        s.on_url = { parser, at, count in
            guard let parser, let state = state(parser) else { return -1 }
            return state.pointee.url(bytes(at, count), parser: parser)
        }
        s.on_header_field = { parser, at, count in
            state(parser)?.pointee.headerField(bytes(at, count)) ?? -1
        }
        s.on_header_value = { parser, at, count in
            state(parser)?.pointee.headerValue(bytes(at, count)) ?? -1
        }
        s.on_headers_complete = { parser in
            guard let parser, let state = state(parser) else { return -1 }
            return state.pointee.headersComplete(parser)
        }
        s.on_body = { parser, at, count in
            state(parser)?.pointee.body(bytes(at, count)) ?? -1
        }
        s.on_message_complete = { parser in
            guard let state = state(parser) else { return -1 }
            state.pointee.complete = true
            // Stop here: anything pipelined after the first request stays unread.
            http_parser_pause(parser, 1)
            return 0
        }
        return s
    }()
}
