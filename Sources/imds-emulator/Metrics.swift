import IMDSCore
import Prometheus

/// The emulator's Prometheus metrics, fed from access records and refresh events on the loop
/// thread, read by `GET /metrics`. Counters are looked up once per label set and kept.
final class Metrics {
    private let registry = PrometheusCollectorRegistry()
    private struct RequestKey: Hashable {
        var pathClass: PathClass
        var status: Int
    }

    private var requests: [RequestKey: Counter] = [:]
    private var fetches: [ClientFamily: Counter] = [:]
    private let tokensIssued: Counter
    private let rotations: Counter
    private let refreshFailures: Counter
    private let expirySeconds: Gauge
    private let openConnections: Gauge
    private let refusedConnections: Counter
    private let droppedLogLines: Counter
    private var refusedReported = 0

    init() {
        tokensIssued = registry.makeCounter(descriptor: .named("imds_tokens_issued_total", "IMDSv2 session tokens issued"))
        rotations = registry.makeCounter(descriptor: .named("imds_rotations_total", "Credential sets published"))
        refreshFailures = registry.makeCounter(descriptor: .named("imds_source_refresh_failures_total", "Failed fetches from the credential source"))
        expirySeconds = registry.makeGauge(descriptor: .named("imds_credentials_expiry_seconds", "Seconds until the current credential set expires"))
        openConnections = registry.makeGauge(descriptor: .named("imds_connections_open", "Open connections to the IMDS listeners"))
        refusedConnections = registry.makeCounter(descriptor: .named("imds_connections_refused_total", "Connections refused with 503 past max-connections"))
        droppedLogLines = registry.makeCounter(descriptor: .named("imds_access_log_dropped_total", "Access-log lines dropped because the log's reader did not keep up"))
    }

    func record(_ record: AccessRecord) {
        guard let pathClass = record.annotation.pathClass else { return }
        let key = RequestKey(pathClass: pathClass, status: record.status)
        let counter = requests[key] ?? {
            let c = registry.makeCounter(descriptor: .named("imds_requests_total", "IMDS requests by path class and status"), labels: [("class", pathClass.rawValue), ("status", String(record.status))])
            requests[key] = c
            return c
        }()
        counter.increment()
        if pathClass == .token && record.status == 200 && record.method == "PUT" {
            tokensIssued.increment()
        }
        if pathClass == .credentials && record.status == 200 && record.annotation.accessKeyId != nil {
            let family = ClientFamily(userAgent: record.userAgent)
            let fetch = fetches[family] ?? {
                let c = registry.makeCounter(descriptor: .named("imds_credential_fetches_total", "Credential documents served, by client family"), labels: [("sdk", family.rawValue)])
                fetches[family] = c
                return c
            }()
            fetch.increment()
        }
    }

    func rotated() { rotations.increment() }

    func refreshFailed() { refreshFailures.increment() }

    func accessLogDropped(_ lines: Int) { droppedLogLines.increment(by: Int64(lines)) }

    /// `connections` are the IMDS listeners' counts, read from the server when scraped.
    func text(expiresIn: Seconds?, connections: (open: Int, refused: Int)) -> String {
        if let expiresIn { expirySeconds.set(expiresIn.value.rounded()) }
        openConnections.set(Double(connections.open))
        if connections.refused > refusedReported {
            refusedConnections.increment(by: Int64(connections.refused - refusedReported))
            refusedReported = connections.refused
        }
        return registry.emitToString()
    }
}

private extension MetricNameDescriptor {
    /// A metric named in full, as the exposition shows it (`imds_tokens_issued_total`), not
    /// assembled from namespace, name and unit.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
