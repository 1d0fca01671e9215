import ArgumentParser
import Glibc
import IMDSCore

/// How a failed command ends: one line on stderr and the exit status the contract gives it
/// (2 for bad flags or configuration, 1 for runtime failures, 0 for help).
enum Failure {
    static func report(_ error: Error) -> Int32 {
        switch error {
        case let e as ConfigurationError:
            printError(e.description)
            return 2
        case let e as RuntimeFailure:
            printError(e.message)
            return 1
        case let e as ExitCode:
            return e.rawValue
        default:
            let code = IMDSEmulatorCommand.exitCode(for: error)
            if code == .success {
                print(IMDSEmulatorCommand.fullMessage(for: error))
                return 0
            }
            printError(IMDSEmulatorCommand.message(for: error))
            return 2
        }
    }

    static func printError(_ message: String) {
        let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingBlanks() }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        var text = "imds-emulator: \(line)\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// A failure while running (a port in use, an unreachable emulator): exit status 1.
struct RuntimeFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
