import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends one HTTP(S) request and waits for the answer. Called on the refresh worker, never on
/// the event loop. A protocol so the STS client can be tested without a network.
public protocol HTTPTransport: Sendable {
    func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialFetchFailure) -> (status: Int, body: [UInt8])
}

/// URLSession (libcurl on Linux): TLS to the real STS, proxies from the environment.
public struct URLSessionTransport: HTTPTransport {
    public var timeout: TimeInterval

    public init(timeout: TimeInterval = 10) { self.timeout = timeout }

    public func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialFetchFailure) -> (status: Int, body: [UInt8]) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            throw CredentialFetchFailure("no answer from \(url.host ?? "?") within \(Int(timeout))s")
        }
        let (data, status, error) = outcome.get()
        if let error {
            throw CredentialFetchFailure("cannot reach \(url.host ?? "?"):\(url.port.map(String.init) ?? "") (\(error.localizedDescription))")
        }
        guard let status else { throw CredentialFetchFailure("no HTTP answer from \(url.host ?? "?")") }
        return (status, [UInt8](data ?? Data()))
    }
}

private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var status: Int?
    private var error: Error?

    func set(data: Data?, status: Int?, error: Error?) {
        lock.lock(); defer { lock.unlock() }
        self.data = data
        self.status = status
        self.error = error
    }

    func get() -> (Data?, Int?, Error?) {
        lock.lock(); defer { lock.unlock() }
        return (data, status, error)
    }
}
