import Foundation
import Kairos

/// ISO 8601 timestamps with an explicit UTC offset, written and read without `DateFormatter`.
///
/// Writing is integer arithmetic on the instant and the zone's offset (`CivilDate`, proleptic
/// Gregorian calendar), so it allocates nothing beyond the destination buffer: the `kairos next`
/// batch mode formats thousands of times per second with it.
///
/// Format written: `YYYY-MM-DDTHH:MM:SS±HH:MM`. Seconds are always present; the offset is never
/// `Z` (UTC prints `+00:00`); an offset with a seconds part (local mean time before 1900) is
/// written `±HH:MM:SS`. Fractions of a second are truncated. Years outside 0000...9999 are written
/// with a sign (`+10000`, `-0001`).
package enum ISO8601Timestamp {
    /// The timestamp of `date` in `timeZone`.
    package static func string(for date: Date, in timeZone: TimeZone) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25)
        append(date, secondsFromGMT: timeZone.secondsFromGMT(for: date), to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the timestamp of `date` shown at the UTC offset `secondsFromGMT` to `bytes`.
    package static func append(_ date: Date, secondsFromGMT offset: Int, to bytes: inout [UInt8]) {
        let utc = Int(date.timeIntervalSince1970.rounded(.down))
        let local = utc + offset
        let (days, secondOfDay) = CivilDate.split(Int64(local))
        let (year, month, day) = CivilDate.date(fromDays: days)
        if (0...9999).contains(year) {
            appendDigits(year, width: 4, to: &bytes)
        } else {
            bytes.append(year < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            appendDigits(abs(year), width: 4, to: &bytes)
        }
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendClock(secondOfDay, alwaysWithSeconds: true, to: &bytes)
        bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        appendClock(abs(offset), alwaysWithSeconds: false, to: &bytes)
    }

    /// Reads an ISO 8601 date-time: `YYYY-MM-DD`, then optionally `T` (or a space) and
    /// `HH:MM[:SS[.fraction]]`, then optionally `Z` or a UTC offset `±HH[:MM]` / `±HHMM`.
    ///
    /// Without an offset the civil time is read in `localTimeZone`: a time repeated by a DST
    /// change means its first occurrence; a time skipped by one is moved forward by the length of
    /// the gap (`02:30` on a spring-forward night in New York reads as `03:30-04:00`). A date
    /// without a time means its local midnight.
    ///
    /// - Returns: the instant, or `nil` if `text` is not in this format or names an impossible
    ///   date or time.
    package static func date(from text: String, localTimeZone: TimeZone) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
            let month = scanner.number(digits: 2), scanner.take("-"),
            let day = scanner.number(digits: 2),
            (1...12).contains(month), (1...CivilDate.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        var secondOfDay = 0
        var fraction = 0.0
        if scanner.take("T") || scanner.take("t") || scanner.take(" ") {
            guard let hour = scanner.number(digits: 2), scanner.take(":"),
                let minute = scanner.number(digits: 2), hour < 24, minute < 60
            else { return nil }
            var second = 0
            if scanner.take(":") {
                guard let value = scanner.number(digits: 2), value < 60 else { return nil }
                second = value
                if scanner.take(".") || scanner.take(",") {
                    guard let digits = scanner.fractionDigits() else { return nil }
                    fraction = digits
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
        }
        let civil = CivilDate.days(year: year, month: month, day: day) * 86_400 + secondOfDay
        let offset: Int
        if scanner.atEnd {
            return Date(timeIntervalSince1970: Double(instant(ofLocal: civil, in: localTimeZone)) + fraction)
        } else if scanner.take("Z") || scanner.take("z") {
            offset = 0
        } else {
            let sign: Int
            if scanner.take("+") { sign = 1 } else if scanner.take("-") { sign = -1 } else { return nil }
            guard let hours = scanner.number(digits: 2), hours <= 23 else { return nil }
            var minutes = 0
            if !scanner.atEnd {
                _ = scanner.take(":")
                guard let value = scanner.number(digits: 2), value < 60 else { return nil }
                minutes = value
            }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard scanner.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(civil - offset) + fraction)
    }

    /// The instant whose civil time in `timeZone` is `local` (seconds since 1970-01-01T00:00 of
    /// the civil calendar): the first of two in a repeated interval, shifted forward by the gap in
    /// a skipped one.
    private static func instant(ofLocal local: Int, in timeZone: TimeZone) -> Int {
        let before = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - 43_200)))
        let after = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local + 43_200)))
        let candidates = [local - before, local - after].filter {
            timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0))) == local - $0
        }
        return candidates.min() ?? (local - before)
    }

    private static func appendClock(_ seconds: Int, alwaysWithSeconds: Bool, to bytes: inout [UInt8]) {
        appendDigits(seconds / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, width: 2, to: &bytes)
        if alwaysWithSeconds || seconds % 60 != 0 {
            bytes.append(UInt8(ascii: ":"))
            appendDigits(seconds % 60, width: 2, to: &bytes)
        }
    }

    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        var length = 1
        while divisor <= value / 10 { divisor *= 10; length += 1 }
        for _ in length..<max(width, length) { bytes.append(UInt8(ascii: "0")) }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// A cursor over the UTF-8 bytes of a timestamp.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func number(digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }

        mutating func fractionDigits() -> Double? {
            var value = 0.0
            var scale = 0.1
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                value += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            return index > start ? value : nil
        }
    }
}
