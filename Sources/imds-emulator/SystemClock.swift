import Glibc
import IMDSCore

/// The real wall clock, the one clock the running emulator is given.
struct SystemClock: WallClock {
    func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(secondsSinceEpoch: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9)
    }
}
