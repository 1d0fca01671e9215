/// What the control API asks of the running emulator beyond the service's own state: the
/// parts that involve the credential source, the clock, files and metrics. The executable
/// implements it; tests of the API can give a fake.
public protocol EmulatorControl: AnyObject {
    /// Fetches and publishes a new set now; calls back on the loop thread.
    func rotateNow(_ done: @escaping (Result<CredentialSet, CredentialSourceError>) -> Void)
    var clockOffset: Seconds { get }
    func setClockOffset(_ offset: Seconds)
    /// A new token key, stored in `--state-dir` when there is one.
    func newTokenKey() -> [UInt8]
    func journal(since: Int, limit: Int) -> (records: [JSONValue], next: Int)
    func metricsText() -> String
    /// The source's health for `/v1/state`.
    var sourceState: JSONValue { get }
    /// Back to the started settings, offset and faults; replaces a set expired by the API.
    func reset()
    /// Puts an event change into the journal.
    func noteEvent(_ change: String, _ event: JSONValue)
    /// Puts a change of instance facts (the tree paths whose values changed) into the journal.
    func noteInstanceChange(_ paths: [String], via: String)
}

extension EmulatorControl {
    public func noteEvent(_ change: String, _ event: JSONValue) {}
    public func noteInstanceChange(_ paths: [String], via: String) {}
}
