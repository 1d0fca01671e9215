import ArgumentParser
import Glibc

// ArgumentParser exits 64 on bad flags; this project's contract is status 2 and one line.
do {
    var command = try IMDSEmulatorCommand.parseAsRoot()
    try command.run()
} catch {
    exit(Failure.report(error))
}
