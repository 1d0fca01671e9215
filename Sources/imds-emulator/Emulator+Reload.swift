import IMDSCore

extension Emulator {
    /// SIGHUP with a configuration file: reads it again, with the same flags over it, and
    /// applies what can change while serving: the instance facts, the file's events and the
    /// endpoint's switches, each only when the file changed it (a change made through the
    /// control API stays until the file changes that part). Connections and tokens are kept;
    /// a changed value gets a new `Last-Modified`. Other changed keys are named and wait for
    /// the next start; a file that no longer reads leaves everything as it was.
    func reload() {
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
    func replaceEventsWithTheFile() {
        for event in service.events.events { noteEvent("deleted", event.json(at: clock.now())) }
        service.removeAllEvents()
        for spec in configuration.events {
            if let event = try? service.addEvent(spec: spec) { noteEvent("created", event.json(at: clock.now())) }
        }
    }
}
