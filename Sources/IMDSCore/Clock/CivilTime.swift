/// Calendar fields of a UTC instant.
///
/// Computed with Howard Hinnant's days-from-civil algorithm instead of Foundation's
/// `DateFormatter`: the access log formats a time on every request, and IMDS needs exactly two
/// fixed formats, so a locale-aware formatter would be both slower and a source of surprises.
struct CivilTime {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var millisecond: Int
    var weekday: Int  // 0 = Sunday

    init(_ t: Timestamp) {
        let totalMillis = Int((t.secondsSinceEpoch * 1000).rounded(.down))
        var days = totalMillis.floorDiv(86_400_000)
        let millisOfDay = totalMillis - days * 86_400_000
        hour = millisOfDay / 3_600_000
        minute = (millisOfDay / 60_000) % 60
        second = (millisOfDay / 1000) % 60
        millisecond = millisOfDay % 1000
        weekday = (days + 4).floorMod(7)

        days += 719_468
        let era = days.floorDiv(146_097)
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Seconds since the epoch of a UTC calendar time; nil when a field is out of range.
    static func timestamp(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Timestamp? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
              (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDiv(400)
        let yearOfEra = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * mp + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Timestamp(secondsSinceEpoch: Double(days * 86400 + hour * 3600 + minute * 60 + second))
    }
}

extension Int {
    fileprivate func floorDiv(_ d: Int) -> Int {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }

    fileprivate func floorMod(_ d: Int) -> Int { self - floorDiv(d) * d }
}
