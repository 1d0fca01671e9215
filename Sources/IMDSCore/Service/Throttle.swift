/// Per-client request rate limit, answered with 429 like a throttled IMDS. A token bucket per
/// client address holding one second's worth of requests. Off (0) by default: botocore, JS and
/// Go v2 do not retry a 429.
public struct Throttle: Sendable {
    public var requestsPerSecond: Int {
        didSet { buckets.removeAll() }
    }
    private var buckets: [String: (tokens: Double, at: Timestamp)] = [:]

    public init(requestsPerSecond: Int = 0) {
        self.requestsPerSecond = requestsPerSecond
    }

    /// True when `client` may make a request at `now`; spends one token.
    public mutating func admit(_ client: String, at now: Timestamp) -> Bool {
        guard requestsPerSecond > 0 else { return true }
        let rate = Double(requestsPerSecond)
        var bucket = buckets[client] ?? (rate, now)
        bucket.tokens = min(rate, bucket.tokens + max(0, (now - bucket.at).value) * rate)
        bucket.at = now
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        buckets[client] = bucket
        if buckets.count > 10_000 { buckets = buckets.filter { (now - $0.value.at).value < 1 } }
        return admitted
    }
}
