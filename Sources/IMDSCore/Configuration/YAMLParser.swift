import CYAML

/// libyaml's event parser over the configuration file. libyaml is the C library that PyYAML
/// and Ruby's Psych are built on (and that Yams wrapped); driven directly it brings no
/// Foundation into the binary. Its events (a scalar, the start and end of a sequence or a
/// mapping, an alias) are all the configuration reader needs, and its errors say what is wrong
/// and where.
enum YAMLParser {
    /// One event, reduced to what the reader uses: a scalar keeps its text exactly as written
    /// (unquoted, unescaped, whatever its style or tag), since YAML 1.1 and 1.2 type values
    /// differently and every setting reads its own text.
    enum Event: Equatable {
        case documentStart
        case documentEnd
        case streamEnd
        case scalar(String)
        case alias
        case sequenceStart
        case sequenceEnd
        case mappingStart
        case mappingEnd
    }

    /// Where an event starts, counted from 1 as editors count.
    struct Mark: Equatable, CustomStringConvertible {
        var line: Int
        var column: Int

        init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }

        init(_ mark: yaml_mark_t) {
            line = mark.line + 1
            column = mark.column + 1
        }

        var description: String { "line \(line), column \(column)" }
    }

    /// An event and where it starts.
    typealias MarkedEvent = (event: Event, mark: Mark)

    /// What libyaml found wrong, in one line: the problem, where, and what it was reading.
    struct Failure: Error {
        var message: String
    }

    /// Every event of `bytes` after the stream's start, up to and including its end.
    static func events(_ bytes: [UInt8]) throws(Failure) -> [MarkedEvent] {
        // libyaml wants an address even for no input; an empty file is an empty stream.
        guard !bytes.isEmpty else { return [(.streamEnd, Mark(line: 1, column: 1))] }
        // libyaml keeps pointers into the parser between calls, so it lives at a fixed address.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw Failure(message: "out of memory") }
        defer { yaml_parser_delete(parser) }
        return try bytes.withUnsafeBufferPointer { input throws(Failure) in
            yaml_parser_set_input_string(parser, input.baseAddress, input.count)
            var events: [MarkedEvent] = []
            var event = yaml_event_t()
            while events.last?.event != .streamEnd {
                guard yaml_parser_parse(parser, &event) == 1 else { throw failure(parser.pointee) }
                defer { yaml_event_delete(&event) }
                if let reduced = reduce(event) { events.append((reduced, Mark(event.start_mark))) }
            }
            return events
        }
    }

    private static func reduce(_ event: yaml_event_t) -> Event? {
        switch event.type {
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_ALIAS_EVENT: return .alias
        case YAML_SEQUENCE_START_EVENT: return .sequenceStart
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT: return .mappingStart
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        case YAML_SCALAR_EVENT:
            // The value may hold NUL (written "\0"), so by its length; libyaml hands out UTF-8.
            let scalar = event.data.scalar
            return .scalar(String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self))
        default: return nil  // the stream's start
        }
    }

    /// libyaml's problem, its mark, and the context it was in (`while parsing a flow mapping`
    /// with where that began): what a reader needs to find the mistake.
    private static func failure(_ parser: yaml_parser_t) -> Failure {
        let problem = parser.problem.map { String(cString: $0) } ?? "out of memory"
        switch parser.error {
        case YAML_READER_ERROR:
            let value = parser.problem_value == -1 ? "" : " (0x\(String(parser.problem_value, radix: 16)))"
            return Failure(message: "\(problem)\(value) at byte \(parser.problem_offset)")
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            let context = parser.context.map { " (\(String(cString: $0)) at \(Mark(parser.context_mark)))" } ?? ""
            return Failure(message: "\(Mark(parser.problem_mark)): \(problem)\(context)")
        default:
            return Failure(message: problem)
        }
    }
}
