import Glibc

/// The monotonic clock, for measuring durations and bounding waits in the adapters (the
/// HTTP server's timings, a helper program's time limit). It never jumps with the wall
/// clock; the core itself takes its clocks injected and does not use this.
public enum Monotonic {
    public static func microseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    public static func seconds() -> Double { Double(microseconds()) / 1_000_000 }
}
