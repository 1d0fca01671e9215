import IMDSCore
import CLibcurl
import FoundationEssentials

/// Sends one HTTP(S) request and waits for the answer. Called on the refresh worker, never on
/// the event loop. A protocol so the STS client can be tested without a network.
public protocol HTTPTransport: Sendable {
    func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialSourceError) -> (status: Int, body: [UInt8])
}

/// libcurl: TLS with certificate and host-name checks (its defaults, left on) to the real STS,
/// proxies from the environment. A redirect is never followed (it would carry the signed
/// request, `Authorization` included, to another host), and an answer larger than STS ever
/// sends is refused while it arrives, never read into memory.
public struct CurlTransport: HTTPTransport {
    public var timeout: Double
    /// STS answers are a few kilobytes.
    public var maxResponseBytes: Int

    public init(timeout: Double = 10, maxResponseBytes: Int = 1 << 20) {
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// `curl_global_init` once per process, before the first handle.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public func send(method: String, url: URL, headers: [(String, String)], body: [UInt8]) throws(CredentialSourceError) -> (status: Int, body: [UInt8]) {
        let host = "\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")"
        guard Self.initialized, let handle = curl_easy_init() else { throw CredentialSourceError("cannot start an HTTP client") }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        list = curl_slist_append(list, "Expect:")  // no 100-continue round trip for a small body
        defer { curl_slist_free_all(list) }
        let sink = Sink(limit: maxResponseBytes)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let code: CURLcode = withExtendedLifetime(sink) {
            // One byte more than the body, so that even an empty one has an address: given
            // none, curl would read the body from stdin.
            (body + [0]).withUnsafeBytes { payload in
                imds_curl_setopt_string(handle, CURLOPT_URL, url.absoluteString)
                imds_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                imds_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                imds_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                imds_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
                imds_curl_setopt_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseBytes))
                imds_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
                if method != "GET" {
                    imds_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: payload.baseAddress))
                    imds_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                }
                imds_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
                imds_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
                imds_curl_setopt_write(handle) { data, size, count, context in
                    guard let data, let context else { return 0 }
                    let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
                    // Anything but the whole length makes curl stop with CURLE_WRITE_ERROR.
                    return sink.take(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
                }
                return curl_easy_perform(handle)
            }
        }
        var status = 0
        imds_curl_status(handle, &status)
        if sink.tooLarge || code == CURLE_FILESIZE_EXCEEDED {
            throw CredentialSourceError("the answer from \(host) is too large (over \(maxResponseBytes) bytes); not read")
        }
        guard code == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(code))
            if code == CURLE_OPERATION_TIMEDOUT { throw CredentialSourceError("no answer from \(host) within \(Int(timeout))s") }
            throw CredentialSourceError("cannot reach \(host) (\(reason))")
        }
        if (300..<400).contains(status) {
            throw CredentialSourceError("\(host) answered a redirect (\(status)); not followed: set sts-endpoint to the real endpoint")
        }
        return (status, sink.data)
    }
}

/// The answer's body, up to a limit.
private final class Sink {
    let limit: Int
    private(set) var data: [UInt8] = []
    private(set) var tooLarge = false

    init(limit: Int) { self.limit = limit }

    func take(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard data.count + bytes.count <= limit else {
            tooLarge = true
            return false
        }
        data.append(contentsOf: bytes)
        return true
    }
}
