#if canImport(Glibc)
    import Glibc
#endif

/// A point in time, in seconds since 1970-01-01T00:00:00Z.
///
/// Registry exports write local time in China without a zone (`2015-03-01`,
/// `2015-03-01 09:30:00`); those are read as UTC+8. ISO 8601 times with `Z` or an offset
/// are read as written. Output is China time, the form the filing system uses.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var secondsSince1970: Int64

    /// China Standard Time, the zone of every registry time.
    public static let chinaOffsetSeconds: Int64 = 8 * 3600

    public init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
    }

    /// Nanoseconds since 1970, as observations count time; saturated at what 64 bits hold
    /// (1677 to 2262), where a parsed time may reach the year 9999.
    public var nanosecondsSince1970: Int64 {
        let (value, overflow) = secondsSince1970.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (secondsSince1970 < 0 ? .min : .max) : value
    }

    /// Whether the time is one that nanoseconds in 64 bits hold (1677 to 2262).
    public var fitsNanoseconds: Bool {
        !secondsSince1970.multipliedReportingOverflow(by: 1_000_000_000).overflow
    }

    /// The current time, to the second.
    public static var now: Timestamp { Timestamp(secondsSince1970: Int64(time(nil))) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }

    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, optionally followed by ` HH:MM[:SS[.fff]]`
    /// or `THH:MM[:SS[.fff]]` and `Z` or `±HH[:MM]`. Fractions are dropped.
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> Timestamp {
        try Array(text.utf8).withUnsafeBufferPointer { (bytes) throws(ValueError) -> Timestamp in try parse(utf8: bytes) }
    }

    /// Parses UTF-8 bytes, as `parse(_:)` does text.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> Timestamp {
        guard bytes.count <= 64, let value = parseBytes(bytes) else {
            throw ValueError(.invalidTime, "not a date or time: \(quoted(String(decoding: bytes.prefix(80), as: UTF8.self)))")
        }
        return value
    }

    private static func parseBytes(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var value = 0
            for k in i..<(i + digits) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            i += digits
            return value
        }
        guard let year = number(4) else { return nil }
        let separator: UInt8? = i < b.count && (b[i] == 0x2D || b[i] == 0x2F) ? b[i] : nil
        if separator != nil { i += 1 }
        guard let month = number(2) else { return nil }
        if let separator {
            guard i < b.count, b[i] == separator else { return nil }
            i += 1
        }
        guard let day = number(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var offset = chinaOffsetSeconds
        if i < b.count && (b[i] == 0x20 || b[i] == 0x54) {
            i += 1
            guard let h = number(2), i < b.count, b[i] == 0x3A else { return nil }
            i += 1
            guard let m = number(2) else { return nil }
            hour = h
            minute = m
            if i < b.count && b[i] == 0x3A {
                i += 1
                guard let s = number(2) else { return nil }
                second = s
                if i < b.count && (b[i] == 0x2E || b[i] == 0x2C) {
                    i += 1
                    let start = i
                    while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
                    guard i > start else { return nil }
                }
            }
            guard hour <= 23, minute <= 59, second <= 60 else { return nil }
            if i < b.count {
                if b[i] == 0x5A {
                    offset = 0
                    i += 1
                } else if b[i] == 0x2B || b[i] == 0x2D {
                    let sign: Int64 = b[i] == 0x2D ? -1 : 1
                    i += 1
                    guard let oh = number(2) else { return nil }
                    if i < b.count && b[i] == 0x3A { i += 1 }
                    let om = i < b.count ? number(2) : 0
                    guard let om, oh <= 23, om <= 59 else { return nil }
                    offset = sign * Int64(oh * 3600 + om * 60)
                }
            }
        }
        guard i == b.count else { return nil }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        return Timestamp(secondsSince1970: days * 86400 + Int64(hour * 3600 + minute * 60 + second) - offset)
    }

    /// `YYYY-MM-DD HH:MM:SS` in China time, or `YYYY-MM-DD` when the time is midnight.
    public var description: String {
        let local = secondsSince1970 + Timestamp.chinaOffsetSeconds
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let secondOfDay = Int(local - days * 86400)
        let (year, month, day) = Timestamp.civilFromDays(Int(days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let date = "\(String(year).leftPadded(to: 4))-\(two(month))-\(two(day))"
        if secondOfDay == 0 { return date }
        return "\(date) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
    }

    /// ISO 8601 in UTC with `Z`.
    public var iso8601: String { text(.utc) }

    /// RFC 3339 to the second in `style`: `2026-03-01T04:00:00Z` or `2026-03-01T12:00:00+08:00`.
    public func text(_ style: TimeStyle) -> String {
        let (year, month, day, secondOfDay) = civil(style)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(String(year).leftPadded(to: 4))-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):"
            + "\(two(secondOfDay % 60))\(style.suffix)"
    }

    /// `text(style)` without the zone's suffix, `2026-03-01T15:55:00`, as bytes made without
    /// string interpolation (writers of observations make one per second of input).
    public func dateTimeBytes(_ style: TimeStyle) -> [UInt8] {
        let (year, month, day, secondOfDay) = civil(style)
        guard (0...9999).contains(year) else { return Array(text(style).utf8.dropLast(style.suffix.utf8.count)) }
        return [UInt8](unsafeUninitializedCapacity: 19) { bytes, count in
            func put(_ value: Int, at offset: Int, digits: Int) {
                var rest = value
                for k in stride(from: offset + digits - 1, through: offset, by: -1) {
                    bytes[k] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
            }
            put(year, at: 0, digits: 4)
            put(month, at: 5, digits: 2)
            put(day, at: 8, digits: 2)
            put(secondOfDay / 3600, at: 11, digits: 2)
            put(secondOfDay / 60 % 60, at: 14, digits: 2)
            put(secondOfDay % 60, at: 17, digits: 2)
            bytes[4] = UInt8(ascii: "-")
            bytes[7] = UInt8(ascii: "-")
            bytes[10] = UInt8(ascii: "T")
            bytes[13] = UInt8(ascii: ":")
            bytes[16] = UInt8(ascii: ":")
            count = 19
        }
    }

    /// The date and the second of the day in `style`'s zone.
    private func civil(_ style: TimeStyle) -> (year: Int, month: Int, day: Int, secondOfDay: Int) {
        let local = secondsSince1970 + style.offsetSeconds
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let (year, month, day) = Timestamp.civilFromDays(Int(days))
        return (year, month, day, Int(local - days * 86400))
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    public static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// How beian writes times in its outputs (findings, observations, summaries): RFC 3339, in
/// UTC with `Z` by default — what Zeek, web servers and most tools log, so that outputs join
/// with them — or in China time with its offset `+08:00` (`--time china`). Registry exports
/// and the V3.0 documents keep China time without a zone, as the filing system writes them.
public enum TimeStyle: String, Sendable, CaseIterable {
    case utc
    case china

    /// Seconds added to UTC.
    public var offsetSeconds: Int64 { self == .utc ? 0 : Timestamp.chinaOffsetSeconds }
    /// What ends a time: `Z` or `+08:00`.
    public var suffix: String { self == .utc ? "Z" : "+08:00" }

    /// A time to the microsecond: `2026-03-01T15:55:00.457437Z`.
    public func text(nanoseconds: Int64) -> String {
        let micros = nanoseconds >= 0 ? nanoseconds / 1000 : (nanoseconds - 999) / 1000
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let whole = Timestamp(secondsSince1970: seconds).text(self)
        return String(whole.dropLast(suffix.count)) + "." + String(Int(micros - seconds * 1_000_000)).leftPadded(to: 6) + suffix
    }
}
