/// The instance metadata service: answers one request value with one response value.
///
/// It holds the state that changes while the emulator runs (the credential set currently
/// published, the settings, the fault rules) and nothing else; sockets, timers and files
/// belong to the adapter and the executable. One instance is driven from one event loop, so
/// it needs no locks.
///
/// The state every request touches is marked `@exclusivity(unchecked)`: it is only changed
/// through calls that never reach back into the same property, so the runtime's check of
/// overlapping access (about 100 instructions per access, a few per request) finds nothing.
/// The compiler's static check still applies.
public final class IMDSService: @unchecked Sendable {
    public private(set) var settings: ServiceSettings
    public private(set) var credentials: CredentialSet?
    /// Why the last refresh failed, until a set is published again.
    public private(set) var refreshError: String?
    /// True while the first set is still being fetched in the background (`--lazy`).
    public var awaitingFirstSet = false
    /// Keep serving the current set after its `Expiration` (the control API's `expire`
    /// with `serve_expired`), to test SDK static stability.
    public private(set) var serveExpired = false
    @exclusivity(unchecked) public var faults = FaultSet()
    /// Which `Host` values requests may carry when the listener gives no check of its own.
    public var hostCheck = HostCheck(enabled: false, hosts: [])
    @exclusivity(unchecked) public private(set) var throttle = Throttle()

    let clock: any WallClock
    let random: RandomSource
    @exclusivity(unchecked) private(set) var tokens: TokenAuthority
    let startTime: Timestamp
    /// The tree of an instance with no event in effect; the events' trees are built on demand.
    /// Built when first asked for, not at each change before it: a start that also sets up
    /// signing would otherwise build it twice before the first request.
    var tree: MetadataTree {
        if let builtTree { return builtTree }
        let built = buildTree()
        builtTree = built
        return built
    }
    private var builtTree: MetadataTree?
    /// Spot, rebalance, maintenance and Auto Scaling events (the control API and the file).
    @exclusivity(unchecked) public private(set) var events = EventSchedule()
    /// Trees for the event visibilities clients have had (`EventSchedule.visibility`), so that
    /// a request costs one lookup.
    private var eventTrees: [[String]: MetadataTree] = [:]
    /// What signs the identity document: a key given or loaded at start, or one made when
    /// a signature is first asked for (an RSA key takes up to a tenth of a second to make,
    /// which most runs never need to spend).
    private var identitySigner: IdentitySigner?
    private var makeIdentitySigner: (@Sendable () throws(IdentityKeyError) -> IdentitySigner)?
    private var identitySignatures: IdentitySignatures?
    private(set) var profile: InstanceProfile
    private(set) var credentialBody = ""
    private(set) var extendedCredentialBody = ""
    private(set) var profileInfoBody = ""
    /// The instance's own identity set, apart from the role's, and its rendered documents.
    private(set) var identityCredentials: IdentityCredentials
    private(set) var identityCredentialBody = ""
    private(set) var identityInfoBody = ""
    private(set) var identityUpdatedHTTP = ""
    /// `Last-Modified` values, formatted once rather than per response.
    let startTimeHTTP: String
    private(set) var credentialsUpdatedHTTP = ""
    /// When each value changed at run time (`updateInstance`), keyed by its tree path; the
    /// others are as old as the start.
    private var changedHTTP: [String: String] = [:]

    /// `identityRotation` is the schedule of the instance identity set (the role's, normally).
    public init(settings: ServiceSettings, tokenKey: [UInt8], clock: any WallClock, random: RandomSource = .system,
                identityRotation: RotationSchedule = RotationSchedule(every: .hours(1), before: .minutes(30))) {
        self.settings = settings
        self.clock = clock
        self.random = random
        self.tokens = TokenAuthority(key: tokenKey)
        self.startTime = clock.now().wholeSeconds
        self.startTimeHTTP = startTime.rfc1123
        self.profile = InstanceProfile(accountId: settings.instance.accountId, name: settings.role,
                                       partition: RegionFacts.partition(settings.instance.region))
        self.throttle = Throttle(requestsPerSecond: settings.throttleRPS)
        self.identityCredentials = IdentityCredentials(schedule: identityRotation, random: random)
        refreshIdentityCredentials()
    }

    /// Makes `set` the one every credential request gets from now on. The documents are
    /// rendered here, once per rotation, not once per request.
    public func publish(_ set: CredentialSet) {
        credentials = set
        refreshError = nil
        awaitingFirstSet = false
        serveExpired = false
        render()
    }

    /// The control API's `expire`: the current set's `Expiration` becomes `now`.
    public func expireCurrent(serveExpired: Bool) -> CredentialSet? {
        guard var set = credentials else { return nil }
        set.expiration = clock.now().wholeSeconds
        credentials = set
        self.serveExpired = serveExpired
        render()
        return set
    }

    /// Records why the source could not be refreshed; shown in the access log of requests
    /// that find no usable set.
    public func noteRefreshFailure(_ message: String) {
        refreshError = message
    }

    /// Changes the switches the control API may change; the tree follows the extended API.
    public func update(_ change: (inout ServiceSettings) -> Void) {
        var next = settings
        change(&next)
        let rebuild = next.extendedAPI != settings.extendedAPI
        if next.throttleRPS != settings.throttleRPS {
            throttle.requestsPerSecond = next.throttleRPS
        }
        settings = next
        if rebuild { rebuildTrees() }
    }

    /// Replaces the instance facts (`PATCH /v1/instance`, a reloaded configuration file): the
    /// trees are rebuilt, the document is signed again when next asked for, and every value
    /// that changed gets `Last-Modified` now. Returns the paths whose values changed.
    @discardableResult
    public func updateInstance(_ instance: InstanceMetadata) -> [String] {
        guard instance != settings.instance else { return [] }
        let before = tree
        settings.instance = instance
        profile = InstanceProfile(accountId: instance.accountId, name: settings.role,
                                  partition: RegionFacts.partition(instance.region))
        identitySignatures = nil
        rebuildTrees()
        render()
        renderIdentityCredentials()
        var changed = tree.changedPaths(from: before)
        if changed.contains("dynamic/instance-identity/document") {
            changed += IdentitySignatures.Part.allCases.map { "dynamic/instance-identity/" + $0.rawValue }
                .filter { tree.node(at: $0) != nil }
        }
        let stamp = clock.now().wholeSeconds.rfc1123
        for path in changed { changedHTTP[path] = stamp }
        return changed.sorted()
    }

    /// `Last-Modified` of the value at `path`.
    func lastModifiedHTTP(_ path: String) -> String { changedHTTP[path] ?? startTimeHTTP }

    /// Replaces the instance identity set when its schedule says so, or now with `force`;
    /// true when it did. The executable's timer calls it, and each read of its paths too, so
    /// that a shifted clock never finds a stale set.
    @discardableResult
    public func refreshIdentityCredentials(force: Bool = false) -> Bool {
        guard identityCredentials.refresh(at: clock.now(), force: force) else { return false }
        renderIdentityCredentials()
        return true
    }

    /// The instance identity set now served, for the control API and the logs.
    public var identityCredentialSet: CredentialSet? { identityCredentials.current }

    private func renderIdentityCredentials() {
        guard let set = identityCredentials.current else { return }
        identityCredentialBody = CredentialDocument.credentials(set)
        identityUpdatedHTTP = set.lastUpdated.rfc1123
        identityInfoBody = CredentialDocument.identityCredentialsInfo(accountId: settings.instance.accountId,
                                                                      lastUpdated: set.lastUpdated)
    }

    /// Every outstanding token becomes invalid: tokens are checked against the new key only.
    public func revokeTokens(newKey: [UInt8]) {
        tokens = TokenAuthority(key: newKey)
    }

    /// A presented token's verdict now; tokens seen before are recognised without their HMAC.
    func checkToken(_ token: String) -> TokenAuthority.Verdict {
        tokens.checkRemembering(token, now: clock.now())
    }

    /// True when a credential request would get a document now.
    public var canServeCredentials: Bool {
        // Through the optional, not a copy of the set: this runs on every credential request.
        guard credentials != nil else { return false }
        return serveExpired || credentials?.isExpired(at: clock.now()) == false
    }

    public func handle(_ request: Request) -> Response {
        handle(request, hostCheck: hostCheck)
    }

    /// `hostCheck` is the listener's own: each loopback listener checks `Host` by itself, so
    /// that another listener on a wider address does not turn it off.
    public func handle(_ request: Request, hostCheck: HostCheck) -> Response {
        let path = RequestPath(target: request.target)
        let pathClass = PathClass(path)
        var response: Response
        if !events.isEmpty, let gone = events.goneReason(at: clock.now()) {
            // The instance has been terminated or stopped by a Spot event that asked for it.
            response = Response(status: 500)
            response.closeConnection = true
            response.annotation.error = gone
        } else if !hostCheck.admits(request) {
            response = ErrorPage.response(403)
            response.annotation.error = "Host header \(request.headers["Host"] ?? "") is not one this emulator answers for"
        } else if let rule = faults.take(request, collapsedPath: path.collapsed, pathClass: pathClass, draw: { self.draw() }) {
            response = apply(rule, request, path, pathClass)
            response.annotation.fault = rule.label
        } else if !throttle.admit(request.clientAddress, at: clock.now()) {
            response = ErrorPage.response(429)
        } else {
            response = route(request, path, pathClass)
        }
        response.annotation.pathClass = pathClass
        return response
    }

    func route(_ request: Request, _ path: RequestPath, _ pathClass: PathClass) -> Response {
        if pathClass == .token {
            return tokenEndpoint(request, trailingSlash: path.rest.utf8.last == UInt8(ascii: "/"))
        }
        return metadataEndpoint(request, path: path)
    }

    /// The tree this client sees now: the plain one, or one with the events it is shown.
    func tree(for request: Request) -> MetadataTree {
        guard !events.isEmpty else { return tree }
        let now = clock.now()
        let visible = events.visibility(for: request, at: now)
        if let built = eventTrees[visible] { return built }
        let built = buildTree(events: events.view(for: request, at: now,
                                                  autoScaling: settings.instance.autoScalingGroup != nil))
        if eventTrees.count >= 256 { eventTrees.removeAll() }
        eventTrees[visible] = built
        return built
    }

    private func buildTree(events: EventView? = nil) -> MetadataTree {
        MetadataTree.instance(settings.instance, role: settings.role, pendingTime: startTime,
                              extendedAPI: settings.extendedAPI, events: events,
                              signed: identitySigner != nil || makeIdentitySigner != nil)
    }

    private func rebuildTrees() {
        builtTree = nil
        eventTrees = [:]
    }

    /// The identity document exactly as served, which the signatures cover.
    public var identityDocument: String {
        MetadataTree.identityDocument(settings.instance, pendingTime: startTime)
    }

    /// Serves `pkcs7`, `signature` and `rsa2048` made with this key and certificate.
    public func signIdentity(with signer: IdentitySigner) {
        identitySigner = signer
        identitySignatures = nil
        rebuildTrees()
    }

    /// Serves the signatures with a key `make` returns when one is first needed.
    public func signIdentity(makingKeyWith make: @escaping @Sendable () throws(IdentityKeyError) -> IdentitySigner) {
        makeIdentitySigner = make
        rebuildTrees()
    }

    /// The signatures of the document as served; nil when no key can be had.
    func signatures() -> IdentitySignatures? {
        if let identitySignatures { return identitySignatures }
        if identitySigner == nil, let make = makeIdentitySigner { identitySigner = try? make() }
        identitySignatures = try? identitySigner?.signatures(of: identityDocument, at: startTime)
        return identitySignatures
    }

    /// The certificate that verifies the signatures, for the control API.
    public var identityCertificatePEM: String? {
        _ = signatures()
        return identitySigner?.certificatePEM
    }

    /// Adds an event read from the control API's JSON or the configuration file.
    public func addEvent(spec: JSONValue, name: (String) -> String = { $0 }) throws(EventSpecError) -> InstanceEvent {
        let event = try InstanceEvent(spec: spec, id: events.nextId, now: clock.now(), instance: settings.instance,
                                      randomHex: { self.randomHex(17) }, name: name)
        events.add(event)
        eventTrees = [:]
        return event
    }

    /// Completes or cancels a maintenance event (it moves to `events/maintenance/history`).
    public func setMaintenanceState(_ id: String, _ state: InstanceEvent.Maintenance.State) -> InstanceEvent? {
        guard var event = events.event(id), case .maintenance(var m) = event.kind else { return nil }
        m.state = state
        event.kind = .maintenance(m)
        events.replace(event)
        eventTrees = [:]
        return event
    }

    public func removeEvent(_ id: String) -> InstanceEvent? {
        eventTrees = [:]
        return events.remove(id)
    }

    public func removeAllEvents() {
        events.removeAll()
        eventTrees = [:]
    }

    private func randomHex(_ count: Int) -> String {
        String(Hex.encode(random.bytes((count + 1) / 2)).prefix(count))
    }

    private func render() {
        guard let set = credentials else { return }
        credentialBody = CredentialDocument.credentials(set)
        credentialsUpdatedHTTP = set.lastUpdated.rfc1123
        extendedCredentialBody = CredentialDocument.credentials(set, accountId: settings.instance.accountId)
        profileInfoBody = CredentialDocument.instanceProfileInfo(profile, lastUpdated: set.lastUpdated)
    }

    private func draw() -> Double {
        let bytes = random.bytes(8)
        let word = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(word >> 11) / Double(UInt64(1) << 53)
    }
}
