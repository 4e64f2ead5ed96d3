import Foundation

/// A parsed cron schedule: when it fires, in any time zone.
///
/// Accepts the standard 5 fields (`minute hour day-of-month month day-of-week`), an optional
/// leading seconds field, names, lists, ranges, steps, macros such as `@daily`, and the
/// extensions `L`, `W`, `LW`, `#`, `dL` and `?` (SPEC.md §1 has the grammar). Day-of-month and
/// day-of-week combine as in Vixie cron: when both are restricted, a day matches if either does.
///
/// ```swift
/// let weekdays = try CronExpression("0 9 * * mon-fri")
/// let next = weekdays.nextDate(after: .now, in: TimeZone(identifier: "America/New_York")!)
/// print(weekdays.explanation)   // At 09:00, Monday through Friday
/// ```
///
/// Time zones and DST follow Debian cron (cronie): a *fixed-time* 5-field expression (neither its
/// minute nor its hour field starts with `*`) runs on local wall-clock time — a time skipped by a
/// spring-forward fires once at the transition, a time repeated by a fall-back fires once, at its
/// first occurrence. Any other expression (minute or hour starting with `*`, or a seconds field)
/// follows real elapsed time: it fires in both copies of a repeated hour and not in a skipped one.
///
/// Values are immutable and `Sendable`; equality and hashing compare the normalized meaning, so
/// `0 0 * * 7`, `0 0 * * sun` and `@weekly` are equal. Encoded (`Codable`) as the normalized text.
public struct CronExpression: Sendable, Hashable {
    /// Seconds, bits 0...59 (bit 0 only for a 5-field expression).
    let seconds: UInt64
    /// Minutes, bits 0...59.
    let minutes: UInt64
    /// Hours, bits 0...23.
    let hours: UInt32
    let days: CronDays
    /// Months, bits 1...12.
    let months: UInt16
    /// `true` for a fixed-time 5-field expression, evaluated on the local wall clock; `false` for
    /// one that follows real elapsed time.
    let followsWallClock: Bool

    init(seconds: UInt64, minutes: UInt64, hours: UInt32, days: CronDays, months: UInt16, followsWallClock: Bool) {
        self.seconds = seconds
        self.minutes = minutes
        self.hours = hours
        self.days = days
        self.months = months
        self.followsWallClock = followsWallClock
    }

    /// Parses a cron expression.
    ///
    /// - Throws: `CronParseError` naming the field, the offending token, its column and the
    ///   reason — including for a well-formed expression that can never fire, such as `0 0 30 2 *`
    ///   (decided exactly over the 400-year Gregorian cycle).
    /// - Complexity: O(n) in the length of `text`.
    public init(_ text: String) throws(CronParseError) {
        self = try CronParser(text).parse()
    }

    /// The first fire time strictly after `date`, or `nil` if there is none before the year 10000
    /// (or, in the rare case of an expression that only ever matches times the zone skips, none
    /// within the next 400 years).
    ///
    /// Fire times are whole seconds. DST transitions are handled as described on the type.
    ///
    /// - Complexity: a field-by-field jump; the per-zone offsets it needs are cached after first use.
    ///   Thread-safe.
    public func nextDate(after date: Date, in timeZone: TimeZone) -> Date? {
        guard let start = Self.instant(date, roundingUp: false) else { return nil }
        return nextInstant(after: start, in: ZoneOffsets.of(timeZone)).map(Self.date)
    }

    /// The first fire time at or after `date` (a fire time is a whole second, so that is the
    /// first after the last whole second before `date`), or `nil` as for `nextDate(after:in:)`.
    ///
    /// Exact for any `date`: a date a fraction of a second past a fire time does not return it.
    package func firstDate(atOrAfter date: Date, in timeZone: TimeZone) -> Date? {
        guard let start = Self.instant(date, roundingUp: true) else { return nil }
        return nextInstant(after: start, in: ZoneOffsets.of(timeZone)).map(Self.date)
    }

    /// The last fire time strictly before `date`, or `nil` if there is none after the year 1.
    ///
    /// The mirror image of `nextDate(after:in:)` over the same set of fire times: for any `d`,
    /// `previousDate(before: nextDate(after: d)!)` is at or before `d`, and
    /// `nextDate(after: previousDate(before: d)!)` is at or after `d`.
    public func previousDate(before date: Date, in timeZone: TimeZone) -> Date? {
        guard let start = Self.instant(date, roundingUp: true) else { return nil }
        return previousInstant(atOrBefore: start, in: ZoneOffsets.of(timeZone)).map(Self.date)
    }

    /// Whether the whole second containing `date` is one of the expression's fire times.
    ///
    /// Agrees with `nextDate(after:in:)`: a skipped time that fires at the transition matches
    /// there, and a fixed-time expression matches only the first copy of a repeated time.
    public func matches(_ date: Date, in timeZone: TimeZone) -> Bool {
        guard let instant = Self.instant(date, roundingUp: false) else { return false }
        return matches(instant: instant, in: ZoneOffsets.of(timeZone))
    }

    /// The fire times after `date`, lazily, in increasing order.
    public func dates(after date: Date, in timeZone: TimeZone) -> CronDates {
        CronDates(expression: self, start: date, timeZone: timeZone)
    }

    // MARK: - Instants

    static let firstInstant = CivilDate.seconds(year: 1, month: 1, day: 1)
    static let lastInstant = CivilDate.seconds(year: 10_000, month: 1, day: 1) - 1
    /// Farther than any gap between fire times: the calendar repeats every 400 years.
    static let horizon: Int64 = 401 * 366 * CivilDate.secondsPerDay

    /// Whole seconds since the epoch, the largest one before `date` when `roundingUp` (previous
    /// search) or the one containing it otherwise; `nil` outside the years 1...9999.
    ///
    /// Rounded in seconds since 2001, the date's own representation, and only then moved to 1970
    /// by a whole number of seconds: `timeIntervalSince1970` is a second rounding, which puts a
    /// date a step before a whole second on that second (and `nextDate(after: now.nextDown)`
    /// would then skip `now`).
    static func instant(_ date: Date, roundingUp: Bool) -> Int64? {
        let interval = date.timeIntervalSinceReferenceDate
        guard interval.isFinite, interval >= Double(firstInstant - referenceInstant),
            interval <= Double(lastInstant + 1 - referenceInstant)
        else { return nil }
        let whole = roundingUp ? Int64(interval.rounded(.up)) - 1 : Int64(interval.rounded(.down))
        return whole + referenceInstant
    }

    /// 2001-01-01T00:00:00Z, `Date`'s reference date, in seconds since 1970.
    static let referenceInstant = Int64(Date.timeIntervalBetween1970AndReferenceDate)

    static func date(_ instant: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(instant))
    }
}
