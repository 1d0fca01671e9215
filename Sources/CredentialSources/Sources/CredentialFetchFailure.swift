import IMDSCore

/// Inside this module, failures are built with this name and become the core's
/// `CredentialSourceError` unchanged.
public typealias CredentialFetchFailure = CredentialSourceError
