import CHTTPParser

/// Reads one HTTP/1.1 response as it arrives, with nodejs/http-parser (Debian's
/// libhttp-parser) in response mode: the status and the body, chunked or not, and no more
/// body than `limit`, whether a `Content-Length` announces more or the body just keeps coming.
/// Interim 1xx answers are skipped; a 3xx is a final answer like any other (never followed).
final class ResponseReader {
    enum Progress: Equatable {
        case needMore
        case complete
        case tooLarge
        case malformed(String)
    }

    let limit: Int
    private(set) var status = 0
    private(set) var body: [UInt8] = []
    private var isComplete = false
    private var isTooLarge = false
    private let parser: UnsafeMutablePointer<http_parser>
    private let settings: UnsafeMutablePointer<http_parser_settings>

    init(limit: Int) {
        self.limit = limit
        parser = .allocate(capacity: 1)
        settings = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_RESPONSE)
        settings.initialize(to: http_parser_settings())
        settings.pointee.on_headers_complete = { parser in
            guard let reader = ResponseReader.owning(parser) else { return -1 }
            return reader.headersComplete() ? 0 : -1
        }
        settings.pointee.on_body = { parser, data, length in
            guard let reader = ResponseReader.owning(parser), let data else { return -1 }
            return reader.take(UnsafeRawBufferPointer(start: data, count: length)) ? 0 : -1
        }
        settings.pointee.on_message_complete = { parser in
            guard let parser, let reader = ResponseReader.owning(parser) else { return -1 }
            if reader.messageComplete() { http_parser_pause(parser, 1) }
            return 0
        }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    /// Bytes as they came from the connection.
    func read(_ bytes: UnsafeRawBufferPointer) -> Progress {
        guard !isComplete else { return .complete }
        http_parser_execute(parser, settings, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        return progress()
    }

    /// The connection ended: completes an answer whose body runs until the close, and is
    /// `needMore` for one cut short.
    func readEnd() -> Progress {
        guard !isComplete else { return .complete }
        http_parser_execute(parser, settings, nil, 0)
        if http_errno(rawValue: parser.pointee.http_errno) == HPE_INVALID_EOF_STATE { return .needMore }
        return progress()
    }

    private func progress() -> Progress {
        if isComplete { return .complete }
        if isTooLarge { return .tooLarge }
        let code = http_errno(rawValue: parser.pointee.http_errno)
        if code != HPE_OK { return .malformed(String(cString: http_errno_description(code))) }
        if parser.pointee.upgrade != 0 { return .malformed("the server switched protocols") }
        return .needMore
    }

    private static func owning(_ parser: UnsafeMutablePointer<http_parser>?) -> ResponseReader? {
        parser?.pointee.data.map { Unmanaged<ResponseReader>.fromOpaque($0).takeUnretainedValue() }
    }

    private func headersComplete() -> Bool {
        status = Int(parser.pointee.status_code)
        // ULLONG_MAX when the answer has no Content-Length.
        let announced = parser.pointee.content_length
        if announced != UInt64.max, announced > UInt64(limit) {
            isTooLarge = true
            return false
        }
        return true
    }

    private func take(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= limit else {
            isTooLarge = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// True for the final answer; an interim 1xx is forgotten and the next one read.
    private func messageComplete() -> Bool {
        guard !(100..<200).contains(status) else {
            body = []
            return false
        }
        isComplete = true
        return true
    }
}
