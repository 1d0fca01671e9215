import IMDSCore

/// What the control API asks of the running emulator (docs/control-api.md).
extension Emulator: EmulatorControl {
    func rotateNow(_ done: @escaping (Result<CredentialSet, CredentialSourceError>) -> Void) {
        refresher.rotateNow(done)
    }

    var clockOffset: Seconds { clock.offset }

    /// Moves the emulator's time; a schedule the new time has passed is acted on at once.
    func setClockOffset(_ offset: Seconds) {
        clock.offset = offset
        refresher.refreshIfNeeded()
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

    var sourceState: JSONValue { refresher.state }

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
        refresher.refreshIfNeeded(force: service.serveExpired || !service.canServeCredentials)
    }
}
