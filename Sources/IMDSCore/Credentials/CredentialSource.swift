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
    public var message: String
    /// False when retrying cannot help without a change of configuration (a refused role).
    public var isRetryable: Bool

    public init(_ message: String, isRetryable: Bool = true) {
        self.message = message
        self.isRetryable = isRetryable
    }

    public var description: String { message }
}

extension SyntheticCredentials: CredentialSource {
    public var name: String { "synthetic" }
    public var blocksCaller: Bool { false }

    public func fetch(now: Timestamp) throws(CredentialSourceError) -> CredentialSet {
        make(now: now)
    }
}
