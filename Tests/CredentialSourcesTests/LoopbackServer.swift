import Foundation

/// Debian's python3 serving `Fixtures/loopback_server.py` on 127.0.0.1, over TLS when given
/// a certificate. It exits when its stdin closes, so it ends with the test even if the test
/// process dies; `stop()` ends it at once.
final class LoopbackServer {
    let port: Int
    private let process = Process()
    private let input = Pipe()

    init(certificate: TestCertificate? = nil) throws {
        guard let script = Bundle.module.url(forResource: "loopback_server", withExtension: "py", subdirectory: "Fixtures") else {
            throw TestSetupError("Fixtures/loopback_server.py is missing")
        }
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-I", script.path] + (certificate.map { [$0.certificate, $0.key] } ?? [])
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            line.append(more)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            process.waitUntilExit()
            throw TestSetupError("the loopback server did not start")
        }
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}
