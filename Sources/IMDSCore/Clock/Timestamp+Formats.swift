extension Timestamp {
    /// `2026-11-21T22:29:05Z`: the only form IMDS uses for `LastUpdated` and `Expiration`;
    /// botocore parses it with a strict `strptime`, so no fraction may appear.
    public var iso8601: String {
        let c = CivilTime(self)
        return "\(c.year)-\(pad2(c.month))-\(pad2(c.day))T\(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second))Z"
    }

    /// `2026-11-21T22:29:05.123Z`: access-log precision.
    public var iso8601Milliseconds: String {
        let c = CivilTime(self)
        let ms = c.millisecond < 10 ? "00\(c.millisecond)" : (c.millisecond < 100 ? "0\(c.millisecond)" : "\(c.millisecond)")
        return "\(c.year)-\(pad2(c.month))-\(pad2(c.day))T\(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)).\(ms)Z"
    }

    /// `Sat, 21 Nov 2026 22:29:05 GMT`: the HTTP date of `Date` and `Last-Modified`.
    public var rfc1123: String {
        let c = CivilTime(self)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[c.weekday]), \(pad2(c.day)) \(months[c.month - 1]) \(c.year) \(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)) GMT"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ`, optionally with a fraction; what `check` reads back.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return n
        }
        // Years before the epoch mean nothing to credentials or tokens, and are not written back
        // the same way.
        guard let y = number(0..<4), y >= 1970, let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
              let mi = number(14..<16), let s = number(17..<19),
              var t = CivilTime.timestamp(year: y, month: mo, day: d, hour: h, minute: mi, second: s) else { return nil }
        if b.count > 20 {
            // Digits past the sixth (microseconds) are checked but not added: a long fraction
            // must not overflow the integer it is read into, and a Double of today's epoch
            // seconds holds microseconds but not nanoseconds (.999999999 would round up into
            // the next second).
            let digits = 20..<(b.count - 1)
            let kept = digits.prefix(6)
            let rest = digits.dropFirst(kept.count)
            guard b[19] == UInt8(ascii: "."), !digits.isEmpty,
                  rest.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[$0]) }),
                  let frac = number(kept) else { return nil }
            var scale = 1.0
            for _ in kept { scale *= 10 }
            t.secondsSinceEpoch += Double(frac) / scale
        } else if b.count != 20 {
            return nil
        }
        self = t
    }
}

extension Timestamp {
    /// RFC 3339 with a `Z` or a numeric offset (`2026-11-21T23:00:00+01:00`), which
    /// `credential_process` helpers write.
    public init?(rfc3339 text: String) {
        if let t = Timestamp(iso8601: text) {
            self = t
            return
        }
        guard text.count >= 25 else { return nil }
        let offsetText = text.suffix(6)
        let b = Array(offsetText.utf8)
        guard b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"), b[3] == UInt8(ascii: ":"),
              let hours = Int(offsetText.dropFirst().prefix(2)), let minutes = Int(offsetText.suffix(2)),
              let local = Timestamp(iso8601: text.dropLast(6) + "Z") else { return nil }
        let offset = Double(hours * 3600 + minutes * 60) * (b[0] == UInt8(ascii: "+") ? 1 : -1)
        self = Timestamp(secondsSinceEpoch: local.secondsSinceEpoch - offset)
    }
}

@inline(__always)
private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
