import Glibc

/// Every connection is a descriptor. When accept() runs out of them, libevent's listener
/// stays readable and logs an error on each pass of the loop, so the connection limits must
/// fit under the process's open-file limit instead.
enum OpenFileLimit {
    /// Descriptors kept for listeners, the access log, pipes and STS connections.
    static let reserve = 64

    /// Raises the soft limit to the hard one, as servers that expect many clients do, and
    /// returns how many connections the listeners may share.
    static func raiseAndBudget() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 - reserve }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        // RLIM_INFINITY is all ones, which the min() turns into a plain large number.
        return max(1, Int(min(UInt64(limit.rlim_cur), UInt64(Int32.max))) - reserve)
    }
}
