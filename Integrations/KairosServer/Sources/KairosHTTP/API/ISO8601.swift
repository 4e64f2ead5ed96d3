import Foundation
import Synchronization

/// ISO 8601 dates as the API reads and writes them: UTC with `Z`, fractions of a second only
/// when there are any (as milliseconds); offsets (`+02:00`) and fractions accepted.
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        formatters.withLock { $0.whole.date(from: text) ?? $0.fractions.date(from: text) }
    }

    /// Written by hand for the years 1970 to 9999, what `ISO8601DateFormatter` writes: a `GET`
    /// writes six dates or more, and the formatter (ICU, under one lock for every request) was
    /// the largest part of its time.
    static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        guard whole >= 0, whole < lastWrittenByHand - 1 else {
            return formatters.withLock { whole == seconds ? $0.whole.string(from: date) : $0.fractions.string(from: date) }
        }
        // The formatter's milliseconds: the date's time in milliseconds, rounded to the nearest
        // (999.6 ms is written as the next second's .000).
        let milliseconds = whole == seconds ? Int(whole) * 1000 : Int((seconds * 1000).rounded())
        let (days, secondOfDay) = (milliseconds / 1000).quotientAndRemainder(dividingBy: 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 3600 / 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2, to: &bytes)
        if whole != seconds {
            bytes.append(UInt8(ascii: "."))
            append(milliseconds % 1000, width: 3, to: &bytes)
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 10000-01-01T00:00:00Z, in seconds since 1970.
    private static let lastWrittenByHand: Double = 253_402_300_800

    /// The proleptic Gregorian date `days` days after 1970-01-01 (H. Hinnant's `civil_from_days`,
    /// as KairosCron's `CivilDate`, which is `package` and so not visible from this package).
    private static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func append(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private struct Formatters {
        let whole = formatter(fractions: false)
        let fractions = formatter(fractions: true)
    }

    /// Made once and used under a lock (`ISO8601DateFormatter` is not `Sendable`): making one
    /// per call took over half the time of a `GET /v1/schedules/{id}` (ICU builds a date
    /// format each time).
    private static let formatters = Mutex(Formatters())

    private static func formatter(fractions: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = fractions ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter
    }
}
