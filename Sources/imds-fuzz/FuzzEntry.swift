import EventHTTP
import FoundationEssentials
import IMDSCore

/// One fuzz input through the parts of the core that read client bytes: the IMDS request
/// path (request line, headers, token, routing, faults), the control API (routes, JSON
/// bodies, fault rules), the configuration values, and every reader of numbers and times
/// from outside (timestamps from STS and helpers, durations, addresses, CIDR blocks, the
/// numeric settings). Any crash or broken invariant is a bug.
enum FuzzTarget {
    static let service: IMDSService = {
        var settings = ServiceSettings()
        settings.imdsv1Enabled = true
        settings.extendedAPI = true
        settings.instance.tags = [("Name", "fuzz")]
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_298_400))
        let s = IMDSService(settings: settings, tokenKey: Array(repeating: 9, count: 32), clock: clock, random: .seeded(1))
        s.publish(SyntheticCredentials(lifetime: .hours(6), random: .seeded(2)).make(now: clock.now()))
        s.hostCheck = HostCheck(enabled: true, hosts: ["127.0.0.1"])
        return s
    }()

    /// Small enough that fuzz inputs cross them.
    static let limits: ServerLimits = {
        var l = ServerLimits()
        l.maxHeaders = 4
        l.maxRequestLine = 80
        l.maxHeaderBytes = 400
        l.maxBodyBytes = 32
        return l
    }()

    static func parse(_ data: [UInt8], readSize: Int) -> (parser: RequestParser, outcome: RequestParser.Outcome) {
        let parser = RequestParser(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes)
        var outcome = RequestParser.Outcome.needMore
        var offset = 0
        data.withUnsafeBytes { all in
            while outcome == .needMore, offset < all.count {
                let end = min(all.count, offset + readSize)
                outcome = parser.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        return (parser, outcome)
    }

    /// The API keeps its control unowned, as the emulator owns both; here a static does.
    static let control = NoControl()
    static let admin = ControlAPI(token: "fuzz-token-0123456789", service: service, control: control)

    static func run(_ data: [UInt8]) {
        guard let mode = data.first else { return }
        let rest = Array(data.dropFirst())
        switch mode % 5 {
        case 0: imds(rest)
        case 1: control(rest)
        case 2: configuration(rest)
        case 3: numbers(rest)
        default: setting(rest)
        }
    }

    /// Raw bytes as a client sends them, through the listener's parser (nodejs/http-parser)
    /// in reads of the size the first byte says, then the whole bytes at once: how a request
    /// is split must not change the answer.
    static func imds(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let data = Array(bytes.dropFirst())
        let pieces = parse(data, readSize: Int(first % 32) + 1)
        let whole = parse(data, readSize: max(1, data.count))
        precondition(pieces.outcome == whole.outcome, "split reads gave \(pieces.outcome), one read \(whole.outcome)")
        switch whole.outcome {
        case .refuse(let status):
            precondition([400, 413, 501].contains(status), "parser refused with \(status)")
            return
        case .needMore:
            return
        case .complete:
            break
        }
        let request = whole.parser.request(clientAddress: "127.0.0.1", clientPort: 1)
        let again = pieces.parser.request(clientAddress: "127.0.0.1", clientPort: 1)
        precondition(request.target == again.target && request.body == again.body
                     && request.headers.fields.elementsEqual(again.headers.fields, by: { $0 == $1 }),
                     "split reads read another request")
        precondition(request.body.count <= limits.maxBodyBytes, "a body past the limit")
        if let refusal = limits.refusal(of: request) {
            precondition(refusal.status == 414 || refusal.status == 431, "limit status \(refusal.status)")
        }
        let response = service.handle(request)
        precondition((100...599).contains(response.status.code) || response.closeConnection, "status \(response.status)")
        if response.status == 200, response.annotation.accessKeyId != nil {
            precondition(response.body.contains(response.annotation.accessKeyId!), "credentials without their key")
        }
        if response.status == 401 || response.status == 403 {
            precondition(!response.body.contains("SecretAccessKey"), "a refusal carried credentials")
        }
    }

    /// A route and a JSON body for the control API, always with the right token.
    static func control(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let target = String(decoding: bytes[..<split], as: UTF8.self)
        let body = split < bytes.endIndex ? Array(bytes[(split + 1)...]) : []
        for method in [HTTPMethod.put, .post] {
            var answered = 0
            admin.handle(Request(method: method, target: "/" + target, headers: HTTPHeaders([("Authorization", "Bearer fuzz-token-0123456789")]),
                                 body: body)) { response in
                precondition([200, 400, 404, 405, 409, 502, 503].contains(response.status), "control status \(response.status)")
                answered += 1
            }
            precondition(answered == 1, "the control API answered \(answered) times")
        }
        service.faults = FaultSet()
        service.update { $0.throttleRPS = 0 }
    }

    /// `key=value` pairs through the configuration checks, and the same bytes as a YAML file
    /// through libyaml and the reader on top of it.
    static func configuration(_ bytes: [UInt8]) {
        if case .map(let members)? = try? ConfigValue.yamlDocument(bytes, file: "fuzz.yaml") {
            _ = try? Configuration(values: members)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var values: [(key: String, value: ConfigValue)] = []
        for line in text.split(separator: "\n") {
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            values.append((String(pair[0]), .scalar(String(pair[1]))))
        }
        _ = try? Configuration(values: values)
    }
}

extension FuzzTarget {
    /// The text through each reader of times, durations and addresses.
    static func numbers(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for parsed in [Timestamp(iso8601: text), Timestamp(rfc3339: text)].compactMap({ $0 }) {
            // Whatever was read can be written back and read again to the same second.
            let again = Timestamp(iso8601: parsed.iso8601)
            precondition(again == parsed.wholeSeconds, "\(text) → \(parsed.iso8601) → \(String(describing: again))")
        }
        if let d = DurationFormat.parse(text) {
            precondition(d.value >= 0, "negative duration from \(text)")
        }
        if let address = ListenAddress(text) {
            precondition((0...65535).contains(address.port), "port \(address.port)")
        }
        let cidr = InstanceMetadata.cidr(text, prefix: Int(bytes.first ?? 0) % 33)
        _ = InstanceMetadata.contains(cidr, text)
        _ = InstanceMetadata.rebase(text, into: cidr)
        _ = InstanceMetadata.offset(text, by: Int(bytes.last ?? 0))
        _ = Configuration.isLoopbackURL("http://" + text)
        let scrubbed = SecretScrubber.scrub(text)
        precondition(scrubbed.count <= text.count + SecretScrubber.mark.count * (text.count / 2 + 1), "scrubbing grew the text")
    }

    /// One numeric or time setting, chosen by the first byte, with the rest as its value.
    static func setting(_ bytes: [UInt8]) {
        let keys = ["hop-limit", "throttle-rps", "max-connections", "max-connections-per-client", "max-header-bytes",
                    "max-headers", "max-request-line", "max-body-bytes", "read-timeout", "write-timeout",
                    "credential-lifetime", "rotate-every", "rotate-before", "duration", "listen", "admin-listen",
                    "sts-endpoint", "instance.pending-time", "instance.local-ipv4", "instance.subnet-ipv4-cidr-block",
                    "events.after", "events.not-before"]
        guard let first = bytes.first else { return }
        let key = keys[Int(first) % keys.count]
        let value = ConfigValue.scalar(String(decoding: bytes.dropFirst(), as: UTF8.self))
        var values: [(key: String, value: ConfigValue)] = []
        if key.hasPrefix("instance.") {
            values = [("instance", .map([(key: String(key.dropFirst("instance.".count)), value: value)]))]
        } else if key.hasPrefix("events.") {
            values = [("instance", .map([(key: "instance-life-cycle", value: .scalar("spot"))])),
                      ("events", .list([.map([(key: "type", value: .scalar("maintenance")),
                                              (key: String(key.dropFirst("events.".count)), value: value)])]))]
        } else {
            values = [(key, value)]
        }
        _ = try? Configuration(values: values)
    }
}

/// The control API's emulator side, inert: the fuzzer exercises the API's own parsing.
final class NoControl: EmulatorControl, @unchecked Sendable {
    func rotateNow(_ done: @escaping (Result<CredentialSet, CredentialSourceError>) -> Void) {
        done(.failure(CredentialSourceError("not in the fuzzer")))
    }
    var clockOffset: Seconds { Seconds(0) }
    func setClockOffset(_ offset: Seconds) {}
    func newTokenKey() -> [UInt8] { Array(repeating: 9, count: 32) }
    func journal(since: Int, limit: Int) -> (records: [JSONValue], next: Int) { ([], since) }
    func metricsText() -> String { "" }
    var sourceState: JSONValue { .null }
    func reset() {}
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    FuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM names an executable's entry point after its module; under libFuzzer that entry
/// point hands control to the fuzzing driver.
@_cdecl("imds_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOne)
}
#else
/// Without libFuzzer: replays the inputs named on the command line (a corpus, a crash).
@main
struct Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            FuzzTarget.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }
}
#endif
