import EventHTTP
import Glibc
import IMDSCore
import Logging

/// Wires one running emulator together: the core service, the libevent server, the rotation
/// timer, the access log and the signals. It holds no IMDS behaviour of its own.
final class Emulator {
    private let configuration: Configuration
    private let logger: Logger
    private let clock = SystemClock()
    private let loop: EventLoop
    private let service: IMDSService
    private let synthetic: SyntheticCredentials
    private let accessLog: AccessLogWriter?
    private var server: HTTPServer?
    private var nextRotation = Timestamp(secondsSinceEpoch: 0)
    private var stopping = false

    init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let key = try configuration.stateDirectory.map { dir throws(ConfigurationError) in
            try TokenKeyStore.loadOrCreate(in: dir, random: .system)
        } ?? RandomSource.system.bytes(TokenAuthority.keyLength)
        accessLog = try AccessLogWriter(configuration.accessLog)
        service = IMDSService(settings: configuration.service, tokenKey: key, clock: clock)
        synthetic = SyntheticCredentials(lifetime: configuration.credentialLifetime, random: .system)
        do {
            loop = try EventLoop()
        } catch {
            throw RuntimeFailure(error.description)
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        if configuration.servesShortLivedSets {
            let least = configuration.rotation.leastRemaining(lifetime: configuration.credentialLifetime)
            logger.warning("credential sets can be served with only \(least) left, under 15 minutes: botocore and the AWS CLI stretch such sets past their expiry and other SDKs refetch on every call; use this for tests only")
        }
        rotate()

        let accessLog = self.accessLog
        let server: HTTPServer
        do {
            server = try HTTPServer(loop: loop, clock: clock, handler: service.handle, onAccess: { accessLog?.write($0) })
            for address in configuration.listen {
                let bound = try server.listen(address)
                logger.info("listening on \(bound.endpointURL)", metadata: ["role": "\(configuration.service.role)"])
            }
        } catch {
            throw RuntimeFailure(error.description)
        }
        self.server = server

        loop.onSignal(SIGTERM) { [unowned self] in self.shutdown("SIGTERM") }
        loop.onSignal(SIGINT) { [unowned self] in self.shutdown("SIGINT") }
        loop.onSignal(SIGHUP) { [unowned self] in self.reopenAccessLog() }
        tick()
        loop.run()
        logger.info("stopped")
    }

    /// Publishes a new synthetic set and moves the schedule on.
    private func rotate() {
        let set = synthetic.make(now: clock.now())
        service.publish(set)
        nextRotation = configuration.rotation.nextRotation(after: set)
        logger.info("published credentials", metadata: [
            "access_key_id": "\(set.accessKeyId)", "expiration": "\(set.expiration.iso8601)",
            "next_rotation": "\(nextRotation.iso8601)",
        ])
    }

    /// Checks the wall clock at least once a second rather than trusting one long timer:
    /// libevent's timers run on the monotonic clock, which stops while a laptop sleeps, and a
    /// set must still be replaced before it expires once the machine wakes.
    private func tick() {
        guard !stopping else { return }
        let now = clock.now()
        if now >= nextRotation { rotate() }
        let wait = min(1.0, max(0.001, (nextRotation - clock.now()).value))
        loop.schedule(after: wait) { [unowned self] in self.tick() }
    }

    private func reopenAccessLog() {
        do {
            try accessLog?.reopen()
            logger.info("reopened the access log")
        } catch {
            logger.error("cannot reopen the access log, still writing to the old file: \(error)")
        }
    }

    /// Stops accepting, lets replies already handed to libevent finish, then leaves the loop.
    private func shutdown(_ signal: String) {
        guard !stopping, let server else { return }
        stopping = true
        logger.info("\(signal): stopping after the responses in flight")
        server.stopAccepting()
        var waited = 0.0
        func drain() {
            if server.repliesInFlight == 0 || waited >= 3 {
                loop.stop()
                return
            }
            waited += 0.01
            loop.schedule(after: 0.01, drain)
        }
        // One short pause first, so requests already read off the socket are answered.
        loop.schedule(after: 0.05, drain)
    }
}
