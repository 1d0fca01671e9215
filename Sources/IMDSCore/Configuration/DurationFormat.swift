/// Durations as the command line and YAML file write them: `90s`, `15m`, `6h`, `1h30m`, `500ms`.
///
/// A bare number is refused rather than guessed at: `--rotate-every 60` could mean seconds or
/// minutes, and a wrong guess silently changes how often credentials rotate.
public enum DurationFormat {
    public static func parse(_ text: String) -> Seconds? {
        var total = 0.0
        var digits = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard !digits.isEmpty, let n = Double(digits) else { return false }
            switch unit {
            case "ms": total += n / 1000
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86400
            default: return false
            }
            digits = ""
            unit = ""
            sawAny = true
            return true
        }
        for ch in text {
            if ch.isASCII && (ch.isNumber || ch == ".") {
                if !unit.isEmpty { guard flush() else { return nil } }
                digits.append(ch)
            } else if ch.isASCII && ch.isLetter {
                guard !digits.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard flush(), sawAny, total.isFinite else { return nil }
        return Seconds(total)
    }

    /// Ten years: longer than any lifetime, schedule or timeout here, and small enough that
    /// every duration converts to whole seconds and milliseconds without overflowing.
    public static let maximum = Seconds(10 * 365 * 86400)

    public static func format(_ s: Seconds) -> String {
        let v = s.value
        guard v.isFinite, abs(v) <= maximum.value * 1000 else { return "\(v)s" }
        if v != v.rounded(.down) || v < 1 {
            let ms = Int((v * 1000).rounded())
            return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
        }
        var rest = Int(v)
        if rest == 0 { return "0s" }
        var out = ""
        let h = rest / 3600; rest %= 3600
        let m = rest / 60; rest %= 60
        if h > 0 { out += "\(h)h" }
        if m > 0 { out += "\(m)m" }
        if rest > 0 { out += "\(rest)s" }
        return out
    }
}
