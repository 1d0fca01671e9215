/// The instance metadata service: answers one request value with one response value.
///
/// It holds the state that changes while the emulator runs (the credential set currently
/// published, the settings) and nothing else; sockets, timers and files belong to the adapter
/// and the executable. One instance is driven from one event loop, so it needs no locks.
public final class IMDSService: @unchecked Sendable {
    public private(set) var settings: ServiceSettings
    public private(set) var credentials: CredentialSet?
    /// Why the last refresh failed, until a set is published again.
    public private(set) var refreshError: String?
    /// True while the first set is still being fetched in the background (`--lazy`).
    public var awaitingFirstSet = false

    let clock: any WallClock
    let random: RandomSource
    let tokens: TokenAuthority
    let startTime: Timestamp
    private(set) var tree: MetadataTree
    private(set) var profile: InstanceProfile
    private(set) var credentialBody = ""
    private(set) var profileInfoBody = ""

    public init(settings: ServiceSettings, tokenKey: [UInt8], clock: any WallClock, random: RandomSource = .system) {
        self.settings = settings
        self.clock = clock
        self.random = random
        self.tokens = TokenAuthority(key: tokenKey)
        self.startTime = clock.now().wholeSeconds
        self.tree = MetadataTree.instance(settings.instance, role: settings.role, pendingTime: startTime)
        self.profile = InstanceProfile(accountId: settings.instance.accountId, name: settings.role)
    }

    /// Makes `set` the one every credential request gets from now on. The documents are
    /// rendered here, once per rotation, not once per request.
    public func publish(_ set: CredentialSet) {
        credentials = set
        refreshError = nil
        awaitingFirstSet = false
        credentialBody = CredentialDocument.credentials(set)
        profileInfoBody = CredentialDocument.instanceProfileInfo(profile, lastUpdated: set.lastUpdated)
    }

    /// Records why the source could not be refreshed; shown in the access log of requests
    /// that find no usable set.
    public func noteRefreshFailure(_ message: String) {
        refreshError = message
    }

    public func handle(_ request: Request) -> Response {
        let path = RequestPath(target: request.target)
        if path.version == "latest", path.rest == "api/token" || path.rest == "api/token/" {
            return tokenEndpoint(request, trailingSlash: path.rest.hasSuffix("/"))
        }
        return metadataEndpoint(request, path: path)
    }
}
