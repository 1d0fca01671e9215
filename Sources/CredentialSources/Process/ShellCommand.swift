import Foundation
import IMDSCore

/// Runs `/bin/sh -c COMMAND` with a time limit and collects what it printed.
struct ShellCommand {
    var command: String
    var timeout: TimeInterval = 30
    /// Output beyond this is dropped; credential JSON is a few kilobytes.
    var outputLimit = 1 << 20

    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]

        /// The first line of stderr, trimmed and shortened, for a diagnostic.
        var stderrSummary: String {
            let text = String(decoding: stderr, as: UTF8.self)
            let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .first { !$0.isEmpty } ?? ""
            return line.count > 200 ? String(line.prefix(200)) + "…" : line
        }
    }

    func run() throws(CredentialSourceError) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw CredentialSourceError("cannot start /bin/sh for the command: \(error.localizedDescription)", isRetryable: false)
        }
        // Both pipes are drained while the command runs, so a chatty command cannot block on a
        // full pipe and look like a hang.
        let stdout = Drain(out.fileHandleForReading, limit: outputLimit)
        let stderr = Drain(err.fileHandleForReading, limit: outputLimit)
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            // The whole process group: a shell's children hold the pipes open too.
            let pid = process.processIdentifier
            kill(-pid, SIGTERM)
            process.terminate()
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                finished.wait()
            }
            _ = stdout.result()
            _ = stderr.result()
            throw CredentialSourceError("the command did not finish within \(Int(timeout))s")
        }
        return Result(status: process.terminationStatus, stdout: stdout.result(), stderr: stderr.result())
    }
}

/// Reads a pipe to its end on a background thread.
private final class Drain: @unchecked Sendable {
    private var data: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle, limit: Int) {
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if self.data.count < limit { self.data += chunk.prefix(limit - self.data.count) }
            }
            self.done.signal()
        }
    }

    func result() -> [UInt8] {
        done.wait()
        done.signal()
        return data
    }
}
