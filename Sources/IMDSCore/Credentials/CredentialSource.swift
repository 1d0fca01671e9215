/// Where credential sets come from. Synthetic sets are made in place; the others talk to STS
/// or run a process, so the emulator calls them off the event loop (`blocksCaller`).
public protocol CredentialSource: Sendable {
    /// A short name for diagnostics: `synthetic`, `assume-role`, `process`, `static`.
    var name: String { get }
    /// True when `fetch` may wait on the network or a child process.
    var blocksCaller: Bool { get }
    /// A fresh set. Errors carry one readable line, never a secret.
    func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet
}

/// Why a fetch failed, as one line for stderr and the access log.
public struct CredentialSourceError: Error, Equatable, CustomStringConvertible {
    /// What went wrong in the emulator's own words: safe anywhere, even the unauthenticated
    /// `/healthz` and the access log.
    public var message: String
    /// What a helper program said about it, scrubbed of anything like a credential: shown
    /// only to the operator (diagnostics) and to authenticated control-API callers.
    public var detail: String?
    /// False when retrying cannot help without a change of configuration (a refused role).
    public var isRetryable: Bool

    public init(_ message: String, detail: String? = nil, isRetryable: Bool = true) {
        self.message = message
        self.detail = detail.map(SecretScrubber.scrub)
        self.isRetryable = isRetryable
    }

    public var description: String { message }

    /// The message with the scrubbed detail, for those allowed to see it.
    public var withDetail: String { detail.map { "\(message): \($0)" } ?? message }
}

extension SyntheticCredentials: CredentialSource {
    public var name: String { "synthetic" }
    public var blocksCaller: Bool { false }

    public func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
        make(now: now)
    }
}
