import Dispatch
import EventHTTP
import Glibc
import IMDSCore
import Logging

/// Wires one running emulator together: the core service, the libevent server, the refresh
/// timer and worker, the access log and the signals. It holds no IMDS behaviour of its own.
///
/// All its state is touched on the event-loop thread only: the worker hands results back
/// through the loop's inbox. That is what the unchecked Sendable conformance promises.
final class Emulator: @unchecked Sendable {
    /// The configuration as started, or as last reloaded on SIGHUP.
    private var configuration: Configuration
    /// Reads the file and flags again (SIGHUP); nil when serve was started without a file.
    private let reloadConfiguration: (() throws -> Configuration)?
    /// The account the credential source's role belongs to, which wins over the file's.
    private let sourceAccountId: String?
    private let logger: Logger
    /// Real time plus the control API's offset: what expiry and rotation are decided by.
    private let clock = ShiftedClock(base: SystemClock())
    /// Real time, for the access log and `Date` headers.
    private let realClock = SystemClock()
    /// Where verifiers find the identity certificate; nil when it lives in memory only.
    private var identityCertificatePath: String?
    private let loop: EventLoop
    private let inbox: LoopInbox
    private let service: IMDSService
    private let source: any CredentialSource
    private let summary: String
    private let accessLog: AccessLogWriter?
    private let worker = DispatchQueue(label: "imds-emulator.credential-refresh")
    private var planner: RefreshPlanner
    /// One IMDS server per listen address, each with its own Host check.
    private var servers: [HTTPServer] = []
    private var adminServer: HTTPServer?
    private var containerServer: HTTPServer?
    private let roleArn: String
    private let containerToken: ContainerAuthToken?
    private var admin: AdminAPI?
    private var adminToken: AdminToken.Loaded?
    private var journal = Journal()
    private let metrics = Metrics()
    /// Control-API rotations waiting for the fetch in flight.
    private var rotationWaiters: [(Result<CredentialSet, CredentialSourceError>) -> Void] = []
    private var fetching = false
    private var reportedExpiry: Timestamp?
    private var stopping = false

    init(configuration: Configuration, built: SourceFactory.Built, logger: Logger,
         reload: (() throws -> Configuration)? = nil) throws {
        var configuration = configuration
        if let account = built.accountId { configuration.service.instance.accountId = account }
        self.configuration = configuration
        self.reloadConfiguration = reload
        self.sourceAccountId = built.accountId
        self.logger = logger
        self.source = built.source
        self.summary = built.summary
        self.roleArn = built.roleArn
            ?? "arn:aws:iam::\(configuration.service.instance.accountId):role/\(configuration.service.role)"
        let key = try configuration.stateDirectory.map { dir throws(ConfigurationError) in
            try TokenKeyStore.loadOrCreate(in: dir, random: .system)
        } ?? RandomSource.system.bytes(TokenAuthority.keyLength)
        accessLog = try AccessLogWriter(configuration.accessLog)
        if configuration.adminListen != nil { adminToken = try AdminToken.load(configuration) }
        service = IMDSService(settings: configuration.service, tokenKey: key, clock: clock,
                              identityRotation: configuration.rotation)
        switch try IdentityKeyStore.load(configuration, now: clock.now()) {
        case .signer(let signer, let certificatePath):
            service.signIdentity(with: signer)
            identityCertificatePath = certificatePath
        case .makeWhenNeeded(let make):
            service.signIdentity(makingKeyWith: make)
        }
        // The file's events, checked when the configuration was read; their times count from now.
        var created: [JSONValue] = []
        for (i, spec) in configuration.events.enumerated() {
            do throws(EventSpecError) {
                created.append(try service.addEvent(spec: spec, name: { Configuration.eventKey($0, index: i) })
                    .json(at: clock.now()))
            } catch {
                throw ConfigurationError(key: error.field, error.problem)
            }
        }
        containerToken = try configuration.containerAuthTokenFile.map { path throws(ConfigurationError) in
            try ContainerAuthToken(path: path)
        }
        planner = RefreshPlanner(schedule: configuration.rotation, jitterFraction: built.source.blocksCaller ? 0.1 : 0,
                                 start: clock.now())
        do {
            loop = try EventLoop()
            inbox = try LoopInbox(loop: loop)
        } catch {
            throw RuntimeFailure(error.description)
        }
        for event in created { noteEvent("created", event) }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        if configuration.source == .synthetic && configuration.servesShortLivedSets {
            let least = configuration.rotation.leastRemaining(lifetime: configuration.credentialLifetime)
            logger.warning("credential sets can be served with only \(least) left, under 15 minutes: botocore and the AWS CLI stretch such sets past their expiry and other SDKs refetch on every call; use this for tests only")
        }
        if configuration.serveLongTermKeys {
            logger.warning("serving long-term keys as they are: every client on this host gets keys that never expire; rotate them yourself and prefer the default GetSessionToken exchange")
        }
        if configuration.lazy {
            logger.info("credential source: \(summary); fetching the first set in the background")
            service.awaitingFirstSet = true
        } else {
            try fetchFirstSet()
        }

        let limits = listenerLimits()
        // Records feed the access log, and the journal and metrics of the control API.
        let onAccess: HTTPServer.AccessHandler? = accessLog == nil && configuration.adminListen == nil
            ? nil : { [unowned self] in self.recordAccess($0) }
        do {
            for address in configuration.listen {
                let check = configuration.hostCheck(for: address)
                let server = try HTTPServer(loop: loop, limits: limits, clock: realClock,
                                            handler: { [service] in service.handle($0, hostCheck: check) }, onAccess: onAccess)
                let bound = try server.listen(address)
                servers.append(server)
                logger.info("listening on \(bound.endpointURL)", metadata: ["role": "\(configuration.service.role)"])
                if !address.isLoopback {
                    logger.warning("\(address) is not loopback: every host that can reach it gets IMDSv2 tokens and the role's credentials\(check.enabled ? "" : ", and its Host check is off (--require-host enabled turns it on)")")
                }
            }
            if let address = configuration.containerListen {
                let token = containerToken
                let endpoint = ContainerEndpoint(service: service, roleArn: roleArn, hostCheck: configuration.hostCheck(for: address),
                                                 authorization: { token?.current ?? .none })
                let containerServer = try HTTPServer(loop: loop, limits: limits, clock: realClock, handler: endpoint.handle,
                                                     onAccess: onAccess)
                let bound = try containerServer.listen(address)
                logger.info("serving container credentials at \(bound.endpointURL)v1/credentials")
                if token == nil {
                    logger.warning("the container endpoint on \(address) answers without an Authorization token: every \(address.isLoopback ? "local process" : "host that can reach it") gets the role's credentials; give --container-auth-token-file")
                } else if !address.isLoopback {
                    logger.warning("the container endpoint on \(address) is not loopback: every host that can reach it and knows the token gets the role's credentials")
                }
                self.containerServer = containerServer
            }
            if let address = configuration.adminListen, let token = adminToken {
                let admin = AdminAPI(token: token.token, service: service, control: self,
                                     hostCheck: configuration.hostCheck(for: address))
                if !address.isLoopback {
                    logger.warning("the control API on \(address) is not loopback: every host that can reach it and has the token can change the emulator")
                }
                var limits = limits
                limits.maxBodyBytes = max(limits.maxBodyBytes, 65536)
                let adminServer = try HTTPServer(loop: loop, limits: limits, clock: realClock, serverHeader: "imds-emulator",
                                                 respond: admin.handle, onAccess: nil)
                let bound = try adminServer.listen(address)
                logger.info("admin API listening on \(bound.endpointURL) (bearer token in \(token.path))")
                self.admin = admin
                self.adminServer = adminServer
            }
        } catch {
            throw RuntimeFailure(error.description)
        }
        logger.info("identity document signatures: certificate in \(identityCertificatePath ?? "GET /v1/identity/certificate (a key is made when first needed; --state-dir keeps it)")")

        loop.onSignal(SIGTERM) { [unowned self] in self.shutdown("SIGTERM") }
        loop.onSignal(SIGINT) { [unowned self] in self.shutdown("SIGINT") }
        loop.onSignal(SIGHUP) { [unowned self] in
            self.reopenAccessLog()
            self.reload()
        }
        tick()
        loop.run()
        adminToken?.removeTemporary()
        accessLog?.finish(within: 2)
        logger.info("stopped")
    }

    /// The configured limits, with `max-connections` cut down to what the open-file limit
    /// lets every listener have at once.
    private func listenerLimits() -> ServerLimits {
        var limits = configuration.limits
        let listeners = configuration.listen.count + (configuration.containerListen == nil ? 0 : 1)
            + (configuration.adminListen == nil ? 0 : 1)
        let each = OpenFileLimit.raiseAndBudget() / listeners
        if limits.maxConnections > each {
            logger.warning("max-connections \(limits.maxConnections) is more than the open-file limit allows for \(listeners) listener(s); using \(each)")
            limits.maxConnections = each
        }
        return limits
    }

    private func recordAccess(_ record: AccessRecord) {
        accessLog?.write(record)
        // The journal and metrics are read only through the control API; without it, they
        // would be ten thousand records of memory and work on every request for nothing.
        if admin != nil {
            journal.append(record)
            metrics.record(record)
        }
    }

    /// Without `--lazy` the first set is fetched before listening, with a few quick retries
    /// for passing failures; a source that cannot deliver stops the start with its reason.
    /// The start fails with one line, so it says how often it tried.
    private func fetchFirstSet() throws {
        var attempt = 0
        while true {
            attempt += 1
            let now = clock.now()
            do {
                let set = try source.fetch(now: now)
                logger.info("credential source: \(summary)")
                published(set, at: now)
                return
            } catch {
                guard error.isRetryable, attempt < 3 else {
                    let tries = attempt > 1 ? " (\(attempt) attempts)" : ""
                    throw RuntimeFailure("first credential fetch failed\(tries): \(error.withDetail)")
                }
                usleep(UInt32(500_000 * attempt))
            }
        }
    }

    /// Checks the wall clock at least once a second rather than trusting one long timer:
    /// libevent's timers run on the monotonic clock, which stops while a laptop sleeps, and a
    /// set must still be replaced before it expires once the machine wakes.
    private func tick() {
        guard !stopping else { return }
        let now = clock.now()
        if planner.isDue(at: now) && !fetching { refresh(at: now) }
        noteDroppedLogLines()
        if service.refreshIdentityCredentials(), let set = service.identityCredentialSet {
            logger.debug("published instance identity credentials", metadata: [
                "access_key_id": "\(set.accessKeyId)", "expiration": "\(set.expiration.iso8601)"])
        }
        if let set = service.credentials, set.isExpired(at: now), reportedExpiry != set.expiration {
            reportedExpiry = set.expiration
            logger.error("credentials \(set.accessKeyId) expired at \(set.expiration.iso8601) and no new set could be fetched; the credentials path answers 500 until a refresh succeeds")
        }
        let wait = min(1.0, max(0.001, (planner.nextFetch - clock.now()).value))
        loop.schedule(after: wait) { [unowned self] in self.tick() }
    }

    /// Fetches in place for synthetic sets; on the worker for sources that wait on STS or a
    /// process, whose result comes back through the inbox. Requests meanwhile get the
    /// current set.
    private func refresh(at now: Timestamp) {
        guard source.blocksCaller else {
            finished(Self.fetch(source, at: now), at: now)
            return
        }
        fetching = true
        let source = self.source
        let clock = self.clock
        worker.async { [inbox] in
            let started = clock.now()
            let result = Self.fetch(source, at: started)
            inbox.post { [self] in
                self.fetching = false
                self.finished(result, at: started)
            }
        }
    }

    private static func fetch(_ source: any CredentialSource, at now: Timestamp) -> Result<CredentialSet, CredentialSourceError> {
        do {
            return .success(try source.fetch(now: now))
        } catch {
            return .failure(error)
        }
    }

    private func finished(_ result: Result<CredentialSet, CredentialSourceError>, at now: Timestamp) {
        defer {
            let waiters = rotationWaiters
            rotationWaiters.removeAll()
            for done in waiters { done(result) }
        }
        switch result {
        case .success(let set):
            published(set, at: now)
            for server in servers { server.releaseHeld() }
        case .failure(let error):
            metrics.refreshFailed()
            let delay = planner.failed(error, at: clock.now(), random: Double.random(in: 0..<1))
            service.noteRefreshFailure(error.message)
            let serving = service.credentials.map { $0.isExpired(at: clock.now()) ? "nothing (last set expired)" : "\($0.accessKeyId) until \($0.expiration.iso8601)" } ?? "nothing yet"
            logger.warning("credential refresh failed: \(error.withDetail); retrying in \(Seconds((delay.value * 10).rounded() / 10)); serving \(serving)")
        }
    }

    private func published(_ set: CredentialSet, at now: Timestamp) {
        service.publish(set)
        metrics.rotated()
        planner.succeeded(with: set, at: now, random: Double.random(in: 0..<1))
        logger.info("published credentials", metadata: [
            "access_key_id": "\(set.accessKeyId)", "expiration": "\(set.expiration.iso8601)",
            "next_refresh": "\(planner.nextFetch.iso8601)",
        ])
    }

    /// Counts and reports the access-log lines the writer had to drop since last asked.
    private func noteDroppedLogLines() {
        guard let dropped = accessLog?.takeDropped(), dropped > 0 else { return }
        metrics.accessLogDropped(dropped)
        logger.warning("access log: dropped \(dropped) line(s); its reader is not keeping up")
    }

    private func reopenAccessLog() {
        do {
            try accessLog?.reopen()
            logger.info("reopened the access log")
        } catch {
            logger.error("cannot reopen the access log, still writing to the old file: \(error)")
        }
    }

    /// SIGHUP with a configuration file: reads it again, with the same flags over it, and
    /// applies what can change while serving: the instance facts, the file's events and the
    /// endpoint's switches, each only when the file changed it (a change made through the
    /// control API stays until the file changes that part). Connections and tokens are kept;
    /// a changed value gets a new `Last-Modified`. Other changed keys are named and wait for
    /// the next start; a file that no longer reads leaves everything as it was.
    private func reload() {
        guard let reloadConfiguration else { return }
        var next: Configuration
        do {
            next = try reloadConfiguration()
        } catch {
            logger.error("SIGHUP: configuration not reloaded, still serving the previous one: \(error)")
            return
        }
        if let account = sourceAccountId { next.service.instance.accountId = account }
        let waiting = configuration.restartOnlyChanges(in: next)
        if !waiting.isEmpty {
            logger.warning("SIGHUP: \(waiting.joined(separator: ", ")) changed; only a restart applies that")
        }
        let old = configuration
        if next.service.instance != old.service.instance {
            let changed = service.updateInstance(next.service.instance)
            if !changed.isEmpty { noteInstanceChange(changed, via: "SIGHUP") }
        }
        let new = next.service
        service.update { s in
            if new.imdsv1Enabled != old.service.imdsv1Enabled { s.imdsv1Enabled = new.imdsv1Enabled }
            if new.hopLimit != old.service.hopLimit { s.hopLimit = new.hopLimit }
            if new.throttleRPS != old.service.throttleRPS { s.throttleRPS = new.throttleRPS }
            if new.extendedAPI != old.service.extendedAPI { s.extendedAPI = new.extendedAPI }
        }
        configuration.service = next.service
        configuration.service.role = old.service.role
        if next.events != old.events {
            configuration.events = next.events
            replaceEventsWithTheFile()
        }
        logger.info("SIGHUP: configuration reloaded")
    }

    /// Every event goes; the file's are scheduled again, their times counted from now.
    private func replaceEventsWithTheFile() {
        for event in service.events.events { noteEvent("deleted", event.json(at: clock.now())) }
        service.removeAllEvents()
        for spec in configuration.events {
            if let event = try? service.addEvent(spec: spec) { noteEvent("created", event.json(at: clock.now())) }
        }
    }

    /// Stops accepting, lets replies already handed to libevent finish, then leaves the loop.
    private func shutdown(_ signal: String) {
        guard !stopping, !servers.isEmpty else { return }
        stopping = true
        logger.info("\(signal): stopping after the responses in flight")
        for server in servers { server.stopAccepting() }
        adminServer?.stopAccepting()
        containerServer?.stopAccepting()
        for server in servers { server.releaseHeld() }
        var waited = 0.0
        func drain() {
            if servers.allSatisfy({ $0.repliesInFlight == 0 }) || waited >= 3 {
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

extension Emulator: EmulatorControl {
    func rotateNow(_ done: @escaping (Result<CredentialSet, CredentialSourceError>) -> Void) {
        rotationWaiters.append(done)
        if !fetching { refresh(at: clock.now()) }
    }

    var clockOffset: Seconds { clock.offset }

    /// Moves the emulator's time; a schedule the new time has passed is acted on at once.
    func setClockOffset(_ offset: Seconds) {
        clock.offset = offset
        let now = clock.now()
        if planner.isDue(at: now) && !fetching { refresh(at: now) }
    }

    func newTokenKey() -> [UInt8] {
        let key = RandomSource.system.bytes(TokenAuthority.keyLength)
        if let dir = configuration.stateDirectory {
            do {
                try TokenKeyStore.replace(in: dir, with: key)
            } catch {
                logger.error("tokens revoked, but the new key could not be stored: \(error)")
            }
        }
        return key
    }

    func journal(since: Int, limit: Int) -> (records: [JSONValue], next: Int) {
        let page = journal.records(since: since, limit: limit)
        let records = page.map { entry -> JSONValue in
            let json = entry.record.json
            guard case .object(let members) = json else { return json }
            return .object([("seq", .int(entry.seq))] + members)
        }
        return (records, page.last?.seq ?? max(since, 0))
    }

    func noteEvent(_ change: String, _ event: JSONValue) {
        journal.append(entry: .event(change: change, time: realClock.now(), event: event))
        logger.info("instance event \(change)", metadata: ["event": "\(event.compact)"])
    }

    func noteInstanceChange(_ paths: [String], via: String) {
        journal.append(entry: .instance(time: realClock.now(), via: via, changed: paths))
        logger.info("instance facts changed", metadata: ["via": "\(via)", "changed": "\(paths.count) path(s)"])
    }

    func metricsText() -> String {
        noteDroppedLogLines()
        let servers = self.servers + [containerServer].compactMap { $0 }
        return metrics.text(expiresIn: service.credentials.map { $0.expiration - clock.now() },
                            connections: (servers.reduce(0) { $0 + $1.openConnections }, servers.reduce(0) { $0 + $1.refusedConnections }))
    }

    var sourceState: JSONValue {
        .object([
            ("name", .string(source.name)),
            ("healthy", .bool(planner.consecutiveFailures == 0 && service.canServeCredentials)),
            ("consecutive_failures", .int(planner.consecutiveFailures)),
            ("last_error", planner.lastError.map { .string($0.withDetail) } ?? .null),
            ("next_refresh", .string(planner.nextFetch.iso8601)),
        ])
    }

    func reset() {
        clock.offset = Seconds(0)
        service.faults = FaultSet()
        // The file's events again, counted from now; the control API's are gone.
        replaceEventsWithTheFile()
        let started = configuration.service
        let changed = service.updateInstance(started.instance)
        if !changed.isEmpty { noteInstanceChange(changed, via: "POST /v1/reset") }
        service.update { s in
            s.imdsv1Enabled = started.imdsv1Enabled
            s.hopLimit = started.hopLimit
            s.throttleRPS = started.throttleRPS
            s.extendedAPI = started.extendedAPI
        }
        if service.serveExpired || !service.canServeCredentials, !fetching {
            refresh(at: clock.now())
        }
    }
}
