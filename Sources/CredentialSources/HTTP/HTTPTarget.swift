import FoundationEssentials
import Glibc
import IMDSCore

/// Where one request goes, read once from its URL: TLS or not, the host to resolve and to
/// check the certificate against, the port, the request target and the `Host` header.
struct HTTPTarget: Sendable {
    var usesTLS: Bool
    /// As written in the URL, without the brackets of an IPv6 literal.
    var host: String
    var port: UInt16
    /// Path and query, percent-encoded as they were written.
    var requestTarget: String
    /// Host and, when the URL names one, the port: what `STSClient` signs.
    var hostHeader: String

    init(_ url: URL) throws(CredentialSourceError) {
        let scheme = url.scheme?.lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw CredentialSourceError("\(url.absoluteString) is not an http:// or https:// URL", isRetryable: false)
        }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else {
            throw CredentialSourceError("\(url.absoluteString) has no host", isRetryable: false)
        }
        guard let port = UInt16(exactly: url.port ?? (scheme == "https" ? 443 : 80)), port > 0 else {
            throw CredentialSourceError("\(url.absoluteString) has no valid port", isRetryable: false)
        }
        usesTLS = scheme == "https"
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        let path = url.path(percentEncoded: true)
        requestTarget = (path.isEmpty ? "/" : path) + (url.query(percentEncoded: true).map { "?\($0)" } ?? "")
        let bracketed = self.host.contains(":") ? "[\(self.host)]" : self.host
        hostHeader = url.port.map { "\(bracketed):\($0)" } ?? bracketed
    }

    /// `host:port` for messages.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// An IP address rather than a name: TLS sends no server name for it (RFC 6066) and
    /// checks the certificate's IP address entries instead of its DNS names.
    var hostIsAddress: Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
