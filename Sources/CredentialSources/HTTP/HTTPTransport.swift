import IMDSCore
import FoundationEssentials

/// Sends one HTTP(S) request and waits for the answer. Called on the refresh worker, never on
/// the event loop. A protocol so the STS client can be tested without a network.
public protocol HTTPTransport: Sendable {
    func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialSourceError) -> (status: Int, body: [UInt8])
}
