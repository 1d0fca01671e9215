extension Configuration {
    /// The keys whose values differ in `new` and which only a restart applies: listeners,
    /// the credential source and its schedule, files and limits. A reload (SIGHUP) takes the
    /// instance facts, the events and the endpoint's switches; it names these instead of
    /// half-applying them.
    public func restartOnlyChanges(in new: Configuration) -> [String] {
        let differs: [(String, Bool)] = [
            ("listen", listen != new.listen),
            ("role", service.role != new.service.role),
            ("source", source != new.source),
            ("credential-lifetime", credentialLifetime != new.credentialLifetime),
            ("rotate-every / rotate-before", rotation != new.rotation),
            ("role-arn, duration and the other STS settings", sts != new.sts),
            ("credential-process", credentialProcess != new.credentialProcess || credentialProcessTimeout != new.credentialProcessTimeout),
            ("serve-long-term-keys", serveLongTermKeys != new.serveLongTermKeys),
            ("lazy", lazy != new.lazy),
            ("admin-listen", adminListen != new.adminListen),
            ("admin-token-file", adminTokenFile != new.adminTokenFile),
            ("require-host / allow-host", requireHost != new.requireHost || allowHosts != new.allowHosts),
            ("container-listen", containerListen != new.containerListen),
            ("container-auth-token-file", containerAuthTokenFile != new.containerAuthTokenFile),
            ("the max-* limits and timeouts", limits != new.limits),
            ("access-log", accessLog != new.accessLog),
            ("state-dir", stateDirectory != new.stateDirectory),
            ("identity-key / identity-cert", identityKey != new.identityKey || identityCert != new.identityCert),
            ("log-level", logLevel != new.logLevel),
        ]
        return differs.filter(\.1).map(\.0)
    }
}
