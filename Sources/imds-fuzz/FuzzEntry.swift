import Foundation
import IMDSCore

/// One fuzz input through the parts of the core that read client bytes: the IMDS request
/// path (request line, headers, token, routing, faults), the control API (routes, JSON
/// bodies, fault rules) and the configuration values. Any crash or broken invariant is a bug.
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
        return l
    }()

    /// The API keeps its control unowned, as the emulator owns both; here a static does.
    static let control = NoControl()
    static let admin = AdminAPI(token: "fuzz-token-0123456789", service: service, control: control)

    static func run(_ data: [UInt8]) {
        guard let mode = data.first else { return }
        let rest = Array(data.dropFirst())
        switch mode % 3 {
        case 0: imds(rest)
        case 1: control(rest)
        default: configuration(rest)
        }
    }

    /// `METHOD TARGET` on the first line, then `Name: value` lines.
    static func imds(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.isEmpty ? "" : lines.removeFirst()
        let parts = first.split(separator: " ", maxSplits: 1).map(String.init)
        let method = HTTPMethod(rawValue: parts.first ?? "") ?? .other
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let request = Request(method: method, target: parts.count > 1 ? parts[1] : "/", headers: headers,
                              clientAddress: "127.0.0.1", clientPort: 1)
        if let refusal = limits.refusal(of: request) {
            precondition(refusal.status == 414 || refusal.status == 431, "limit status \(refusal.status)")
        }
        let response = service.handle(request)
        precondition((100...599).contains(response.status) || response.closeConnection, "status \(response.status)")
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

    /// `key=value` pairs through the configuration checks.
    static func configuration(_ bytes: [UInt8]) {
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
