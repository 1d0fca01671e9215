import CredentialRefresh
import Dispatch
import EventHTTP
import Glibc
import IMDSCore
import Logging

/// Wires one running emulator together: the core service, the libevent servers, the
/// credential refresher and its timer, the access log, the signals and the control API's
/// requests. It holds no IMDS behaviour of its own.
///
/// All its state is touched on the event-loop thread only: the worker hands results back
/// through the loop's inbox. That is what the unchecked Sendable conformance promises.
final class Emulator: @unchecked Sendable {
    /// The configuration as started, or as last reloaded on SIGHUP.
    var configuration: Configuration
    /// Reads the file and flags again (SIGHUP); nil when serve was started without a file.
    let reloadConfiguration: (() throws -> Configuration)?
    /// The account the credential source's role belongs to, which wins over the file's.
    let sourceAccountId: String?
    let logger: Logger
    /// Real time plus the control API's offset: what expiry and rotation are decided by.
    let clock = ShiftedClock(base: SystemClock())
    /// Real time, for the access log and `Date` headers.
    let realClock = SystemClock()
    /// Where verifiers find the identity certificate; nil when it lives in memory only.
    var identityCertificatePath: String?
    let loop: EventLoop
    let inbox: LoopInbox
    let service: IMDSService
    let source: any CredentialSource
    let summary: String
    let accessLog: AccessLogWriter?
    let refresher: CredentialRefresher
    /// One IMDS server per listen address, each with its own Host check.
    var servers: [HTTPServer] = []
    var controlServer: HTTPServer?
    var containerServer: HTTPServer?
    let roleArn: String
    let containerToken: ContainerAuthToken?
    var controlAPI: ControlAPI?
    var controlToken: ControlAPIToken.Loaded?
    var journal = Journal()
    let metrics = Metrics()
    var stopping = false
    /// When the start-up pages are handed back; set once the listeners are open, nil again
    /// once both releases are made.
    var startupPages: StartupPages.Schedule?

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
        if configuration.adminListen != nil { controlToken = try ControlAPIToken.load(configuration) }
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
        do {
            loop = try EventLoop()
            inbox = try LoopInbox(loop: loop)
        } catch {
            throw RuntimeFailure(error.description)
        }
        refresher = CredentialRefresher(source: source, service: service, clock: clock, schedule: configuration.rotation,
                                        worker: LoopWorker(inbox: inbox))
        refresher.observer = self
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
            refresher.startInBackground()
        } else {
            do throws(FirstFetchFailure) {
                try refresher.fetchFirst { usleep(UInt32($0 * 1_000_000)) }
            } catch {
                throw RuntimeFailure(error.description)
            }
            logger.info("credential source: \(summary)")
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
            if let address = configuration.adminListen, let token = controlToken {
                let controlAPI = ControlAPI(token: token.token, service: service, control: self,
                                     hostCheck: configuration.hostCheck(for: address))
                if !address.isLoopback {
                    logger.warning("the control API on \(address) is not loopback: every host that can reach it and has the token can change the emulator")
                }
                var limits = limits
                limits.maxBodyBytes = max(limits.maxBodyBytes, 65536)
                let controlServer = try HTTPServer(loop: loop, limits: limits, clock: realClock, serverHeader: "imds-emulator",
                                                 respond: controlAPI.handle, onAccess: nil)
                let bound = try controlServer.listen(address)
                logger.info("admin API listening on \(bound.endpointURL) (bearer token in \(token.path))")
                self.controlAPI = controlAPI
                self.controlServer = controlServer
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
        startupPages = StartupPages.Schedule(opened: Monotonic.seconds())
        tick()
        loop.run()
        controlToken?.removeTemporary()
        accessLog?.finish(within: 2)
        logger.info("stopped")
    }

    /// The configured limits, with `max-connections` cut down to what the open-file limit
    /// lets every listener have at once.
    func listenerLimits() -> ServerLimits {
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

    func recordAccess(_ record: AccessRecord) {
        accessLog?.write(record)
        // The journal and metrics are read only through the control API; without it, they
        // would be ten thousand records of memory and work on every request for nothing.
        if controlAPI != nil {
            journal.append(record)
            metrics.record(record)
        }
    }

    /// The refresher's check, at least once a second, and the housekeeping that rides on it.
    func tick() {
        guard !stopping else { return }
        let wait = refresher.tick()
        noteDroppedLogLines()
        if var pages = startupPages {
            let answered = servers.reduce(0) { $0 + $1.requestsAnswered } + (containerServer?.requestsAnswered ?? 0)
            if pages.isDue(now: Monotonic.seconds(), answered: answered) { releaseStartupPages() }
            startupPages = pages.finished ? nil : pages
        }
        if service.refreshIdentityCredentials(), let set = service.identityCredentialSet {
            logger.debug("published instance identity credentials", metadata: [
                "access_key_id": "\(set.accessKeyId)", "expiration": "\(set.expiration.iso8601)"])
        }
        loop.schedule(after: wait.value) { [unowned self] in self.tick() }
    }

    func releaseStartupPages() {
        guard let release = StartupPages.release() else {
            logger.debug("start-up pages kept: /proc/self/smaps cannot be read")
            return
        }
        logger.debug("released the start-up pages of \(release.mappings) file mappings (\(release.residentKiB) KiB were resident)")
    }

    /// Counts and reports the access-log lines the writer had to drop since last asked.
    func noteDroppedLogLines() {
        guard let dropped = accessLog?.takeDropped(), dropped > 0 else { return }
        metrics.accessLogDropped(dropped)
        logger.warning("access log: dropped \(dropped) line(s); its reader is not keeping up")
    }

    func reopenAccessLog() {
        do {
            try accessLog?.reopen()
            logger.info("reopened the access log")
        } catch {
            logger.error("cannot reopen the access log, still writing to the old file: \(error)")
        }
    }

    /// Stops accepting, lets replies already handed to libevent finish, then leaves the loop.
    func shutdown(_ signal: String) {
        guard !stopping, !servers.isEmpty else { return }
        stopping = true
        logger.info("\(signal): stopping after the responses in flight")
        for server in servers { server.stopAccepting() }
        controlServer?.stopAccepting()
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
