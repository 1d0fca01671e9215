import CredentialRefresh
import Dispatch
import EventHTTP
import IMDSCore

/// What the credential refresher reports: logged, counted, and held requests released.
extension Emulator: RefreshObserver {
    func published(_ set: CredentialSet, nextRefresh: Timestamp) {
        metrics.rotated()
        for server in servers { server.releaseHeld() }
        logger.info("published credentials", metadata: [
            "access_key_id": "\(set.accessKeyId)", "expiration": "\(set.expiration.iso8601)",
            "next_refresh": "\(nextRefresh.iso8601)",
        ])
    }

    func refreshFailed(_ error: CredentialSourceError, retryIn: Seconds, serving: String) {
        metrics.refreshFailed()
        logger.warning("credential refresh failed: \(error.withDetail); retrying in \(Seconds((retryIn.value * 10).rounded() / 10)); serving \(serving)")
    }

    func expired(_ set: CredentialSet) {
        logger.error("credentials \(set.accessKeyId) expired at \(set.expiration.iso8601) and no new set could be fetched; the credentials path answers 500 until a refresh succeeds")
    }
}

/// The refresh worker: a dispatch queue for the fetch, the loop's inbox for the result.
struct LoopWorker: RefreshWorker {
    let inbox: LoopInbox
    private let queue = DispatchQueue(label: "imds-emulator.credential-refresh")

    init(inbox: LoopInbox) { self.inbox = inbox }

    func run(_ fetch: @escaping @Sendable () -> Result<CredentialSet, CredentialSourceError>,
             then deliver: @escaping @Sendable (Result<CredentialSet, CredentialSourceError>) -> Void) {
        queue.async { [inbox] in
            let result = fetch()
            inbox.post { deliver(result) }
        }
    }
}
