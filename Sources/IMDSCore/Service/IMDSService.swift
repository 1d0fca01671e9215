/// The instance metadata service: answers one request value with one response value.
///
/// It holds the state that changes while the emulator runs (the credential set currently
/// published, the settings, the fault rules) and nothing else; sockets, timers and files
/// belong to the adapter and the executable. One instance is driven from one event loop, so
/// it needs no locks.
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
    public var faults = FaultSet()
    /// Which `Host` values requests may carry (`--require-host`, `--allow-host`).
    public var hostCheck = HostCheck(enabled: false, hosts: [])
    public private(set) var throttle = Throttle()

    let clock: any WallClock
    let random: RandomSource
    private(set) var tokens: TokenAuthority
    let startTime: Timestamp
    private(set) var tree: MetadataTree
    private(set) var profile: InstanceProfile
    private(set) var credentialBody = ""
    private(set) var extendedCredentialBody = ""
    private(set) var profileInfoBody = ""
    /// `Last-Modified` values, formatted once rather than per response.
    let startTimeHTTP: String
    private(set) var credentialsUpdatedHTTP = ""

    public init(settings: ServiceSettings, tokenKey: [UInt8], clock: any WallClock, random: RandomSource = .system) {
        self.settings = settings
        self.clock = clock
        self.random = random
        self.tokens = TokenAuthority(key: tokenKey)
        self.startTime = clock.now().wholeSeconds
        self.startTimeHTTP = startTime.rfc1123
        self.tree = MetadataTree.instance(settings.instance, role: settings.role, pendingTime: startTime,
                                          extendedAPI: settings.extendedAPI)
        self.profile = InstanceProfile(accountId: settings.instance.accountId, name: settings.role)
        self.throttle = Throttle(requestsPerSecond: settings.throttleRPS)
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
        if next.extendedAPI != settings.extendedAPI {
            tree = MetadataTree.instance(next.instance, role: next.role, pendingTime: startTime, extendedAPI: next.extendedAPI)
        }
        if next.throttleRPS != settings.throttleRPS {
            throttle.requestsPerSecond = next.throttleRPS
        }
        settings = next
    }

    /// Every outstanding token becomes invalid: tokens are checked against the new key only.
    public func revokeTokens(newKey: [UInt8]) {
        tokens = TokenAuthority(key: newKey)
    }

    /// True when a credential request would get a document now.
    public var canServeCredentials: Bool {
        guard let set = credentials else { return false }
        return serveExpired || !set.isExpired(at: clock.now())
    }

    public func handle(_ request: Request) -> Response {
        let path = RequestPath(target: request.target)
        let pathClass = PathClass(path)
        var response: Response
        if !hostCheck.admits(request) {
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
            return tokenEndpoint(request, trailingSlash: path.rest.hasSuffix("/"))
        }
        return metadataEndpoint(request, path: path)
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
