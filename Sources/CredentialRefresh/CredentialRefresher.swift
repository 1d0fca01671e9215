import IMDSCore

/// Keeps the service supplied with credentials: fetches the first set (before listening, with
/// a few quick retries, or in the background with `--lazy`), replaces it on the rotation
/// schedule, rides out a failing source on the last good set with capped backoff (never
/// serving it past its expiry), and rotates at once when the control API asks.
///
/// Sources that wait on the network or a process are fetched on the worker; synthetic sets
/// in place. Everything else happens on the event-loop thread, the one that calls `tick` and
/// receives the worker's results, which is what the unchecked Sendable conformance promises.
public final class CredentialRefresher: @unchecked Sendable {
    private let source: any CredentialSource
    private let service: IMDSService
    private let clock: any WallClock
    private let worker: any RefreshWorker
    private let random: () -> Double
    /// Told of every publication and failure; the owner sets itself once it is built.
    public weak var observer: (any RefreshObserver)?
    public private(set) var planner: RefreshPlanner
    /// Control-API rotations waiting for the fetch in flight.
    private var waiters: [(Result<CredentialSet, CredentialSourceError>) -> Void] = []
    public private(set) var fetching = false
    private var reportedExpiry: Timestamp?

    public init(source: any CredentialSource, service: IMDSService, clock: any WallClock, schedule: RotationSchedule,
                worker: any RefreshWorker, observer: (any RefreshObserver)? = nil,
                random: @escaping () -> Double = { Double.random(in: 0..<1) }) {
        self.source = source
        self.service = service
        self.clock = clock
        self.worker = worker
        self.observer = observer
        self.random = random
        // Replicas sharing one role spread their STS calls a little; a synthetic set costs nothing.
        planner = RefreshPlanner(schedule: schedule, jitterFraction: source.blocksCaller ? 0.1 : 0, start: clock.now())
    }

    /// The first set, before the emulator listens: a source that cannot deliver stops the
    /// start with its reason. Passing failures get `attempts - 1` retries, `pause(seconds)`
    /// apart (0.5 s, 1 s, …), so the start fails with one line that says how often it tried.
    public func fetchFirst(attempts: Int = 3, pause: (Double) -> Void) throws(FirstFetchFailure) {
        var attempt = 0
        while true {
            attempt += 1
            let now = clock.now()
            switch Self.fetch(source, at: now) {
            case .success(let set):
                publish(set, at: now)
                return
            case .failure(let error):
                guard error.isRetryable, attempt < attempts else { throw FirstFetchFailure(error: error, attempts: attempt) }
                pause(0.5 * Double(attempt))
            }
        }
    }

    /// With `--lazy`: requests for credentials are held until the first set arrives.
    public func startInBackground() {
        service.awaitingFirstSet = true
        refresh(at: clock.now())
    }

    /// Checks the schedule against the wall clock; returns how long until it wants to be
    /// called again (at most a second: libevent's timers run on the monotonic clock, which
    /// stops while a laptop sleeps, and a set must still be replaced once the machine wakes).
    @discardableResult
    public func tick() -> Seconds {
        let now = clock.now()
        if planner.isDue(at: now) && !fetching { refresh(at: now) }
        if let set = service.credentials, set.isExpired(at: now), reportedExpiry != set.expiration {
            reportedExpiry = set.expiration
            observer?.expired(set)
        }
        return Seconds(min(1.0, max(0.001, (planner.nextFetch - clock.now()).value)))
    }

    /// Fetches and publishes a new set now (the control API); `done` is called on the loop
    /// once the fetch in flight, or a new one, has ended.
    public func rotateNow(_ done: @escaping (Result<CredentialSet, CredentialSourceError>) -> Void) {
        waiters.append(done)
        if !fetching { refresh(at: clock.now()) }
    }

    /// After the clock moved or a set was expired by hand: a refresh that is now due, or
    /// needed because nothing can be served, starts at once.
    public func refreshIfNeeded(force: Bool = false) {
        let now = clock.now()
        guard !fetching, force || planner.isDue(at: now) else { return }
        refresh(at: now)
    }

    /// The source's health for `/v1/state`.
    public var state: JSONValue {
        .object([
            ("name", .string(source.name)),
            ("healthy", .bool(planner.consecutiveFailures == 0 && service.canServeCredentials)),
            ("consecutive_failures", .int(planner.consecutiveFailures)),
            ("last_error", planner.lastError.map { .string($0.withDetail) } ?? .null),
            ("next_refresh", .string(planner.nextFetch.iso8601)),
        ])
    }

    private func refresh(at now: Timestamp) {
        guard source.blocksCaller else {
            finished(Self.fetch(source, at: now), at: now)
            return
        }
        fetching = true
        let source = self.source
        let clock = self.clock
        let started = Box(now)
        worker.run({
            started.value = clock.now()
            return Self.fetch(source, at: started.value)
        }, then: { [self] result in
            self.fetching = false
            self.finished(result, at: started.value)
        })
    }

    private static func fetch(_ source: any CredentialSource, at now: Timestamp) -> Result<CredentialSet, CredentialSourceError> {
        do {
            return .success(try source.fetch(now: now))
        } catch {
            return .failure(error)
        }
    }

    private func finished(_ result: Result<CredentialSet, CredentialSourceError>, at now: Timestamp) {
        defer {
            let done = waiters
            waiters.removeAll()
            for waiter in done { waiter(result) }
        }
        switch result {
        case .success(let set):
            publish(set, at: now)
        case .failure(let error):
            let delay = planner.failed(error, at: clock.now(), random: random())
            service.noteRefreshFailure(error.message)
            let serving = service.credentials.map {
                $0.isExpired(at: clock.now()) ? "nothing (last set expired)" : "\($0.accessKeyId) until \($0.expiration.iso8601)"
            } ?? "nothing yet"
            observer?.refreshFailed(error, retryIn: delay, serving: serving)
        }
    }

    private func publish(_ set: CredentialSet, at now: Timestamp) {
        service.publish(set)
        planner.succeeded(with: set, at: now, random: random())
        observer?.published(set, nextRefresh: planner.nextFetch)
    }
}

/// The first fetch failed for good; `attempts` says how often it was tried.
public struct FirstFetchFailure: Error {
    public var error: CredentialSourceError
    public var attempts: Int

    public var description: String {
        "first credential fetch failed\(attempts > 1 ? " (\(attempts) attempts)" : ""): \(error.withDetail)"
    }
}

/// The start time of a fetch, set on the worker and read back on the loop after the hand-off.
private final class Box: @unchecked Sendable {
    var value: Timestamp
    init(_ value: Timestamp) { self.value = value }
}
