import IMDSCore

/// Where a fetch that waits on STS or a process runs: away from the event loop, with its
/// result handed back to the loop thread. The executable gives a dispatch queue and the loop's
/// inbox; tests give one they complete by hand.
public protocol RefreshWorker: Sendable {
    func run(_ fetch: @escaping @Sendable () -> Result<CredentialSet, CredentialSourceError>,
             then deliver: @escaping @Sendable (Result<CredentialSet, CredentialSourceError>) -> Void)
}

/// What the refresher reports, for the diagnostics log and the metrics; called on the loop.
public protocol RefreshObserver: AnyObject {
    func published(_ set: CredentialSet, nextRefresh: Timestamp)
    /// A fetch failed; the next try is in `retryIn`; `serving` says what clients get meanwhile.
    func refreshFailed(_ error: CredentialSourceError, retryIn: Seconds, serving: String)
    /// The set being served has expired and no new one could be had.
    func expired(_ set: CredentialSet)
}
