/// The day part of a cron expression: day-of-month, day-of-week and the rule that combines them.
///
/// It is kept in a canonical form so that two expressions with the same meaning compare equal:
/// an unrestricted side is dropped (its bits are zero) and `rule` says which sides count.
struct CronDays: Sendable, Hashable {
    /// How the day-of-month and day-of-week sides combine.
    enum Rule: UInt8, Sendable, Hashable {
        /// Every day matches.
        case everyDay
        /// Only the day-of-month side is restricted.
        case dayOfMonth
        /// Only the day-of-week side is restricted.
        case dayOfWeek
        /// Both restricted, and one of the fields started with `*` or `?`: a day must match both.
        case both
        /// Both restricted and neither field started with `*` or `?`: a day matches if either does
        /// (Vixie cron / cronie).
        case either
    }

    var rule: Rule = .everyDay
    /// Days of the month, bits 1...31.
    var monthDays: UInt32 = 0
    /// `L`: the last day of the month.
    var lastDayOfMonth = false
    /// `LW`: the last weekday (Monday-Friday) of the month.
    var lastWeekdayOfMonth = false
    /// `nW`: the weekday nearest day n, bits 1...31.
    var nearestWeekdays: UInt32 = 0
    /// Days of the week, bits 0 (Sunday) ... 6 (Saturday).
    var weekdays: UInt8 = 0
    /// `d#n`: bit `d * 5 + (n - 1)`.
    var nthWeekdays: UInt64 = 0
    /// `dL`: the last given weekday of the month, bits 0...6.
    var lastWeekdays: UInt8 = 0

    static let allMonthDays: UInt32 = 0xFFFF_FFFE
    static let allWeekdays: UInt8 = 0x7F

    var restrictsDayOfMonth: Bool { rule == .dayOfMonth || rule == .both || rule == .either }
    var restrictsDayOfWeek: Bool { rule == .dayOfWeek || rule == .both || rule == .either }

    /// The matching days of a month, as bits 1...`length`, given the weekday (0 = Sunday) of its 1st.
    ///
    /// - Complexity: O(1) for plain fields; O(k) in the number of `W`, `#` and `dL` terms.
    @inline(__always)
    func mask(length: Int, firstWeekday: Int) -> UInt32 {
        let inMonth: UInt32 = length >= 31 ? Self.allMonthDays : (UInt32(1) << UInt32(length + 1)) &- 2
        switch rule {
        case .everyDay: return inMonth
        case .dayOfMonth: return monthDayMask(length: length, firstWeekday: firstWeekday, inMonth: inMonth)
        case .dayOfWeek: return weekdayMask(length: length, firstWeekday: firstWeekday, inMonth: inMonth)
        case .both:
            return monthDayMask(length: length, firstWeekday: firstWeekday, inMonth: inMonth)
                & weekdayMask(length: length, firstWeekday: firstWeekday, inMonth: inMonth)
        case .either:
            return monthDayMask(length: length, firstWeekday: firstWeekday, inMonth: inMonth)
                | weekdayMask(length: length, firstWeekday: firstWeekday, inMonth: inMonth)
        }
    }

    /// The matching days of the month `month` of `year`, as bits 1...31.
    @inline(__always)
    func mask(year: Int, month: Int) -> UInt32 {
        if rule == .everyDay {
            return mask(length: CivilDate.daysInMonth(year: year, month: month), firstWeekday: 0)
        }
        let first = CivilDate.weekday(ofDays: CivilDate.days(year: year, month: month, day: 1))
        return mask(length: CivilDate.daysInMonth(year: year, month: month), firstWeekday: first)
    }

    @inline(__always)
    private func monthDayMask(length: Int, firstWeekday: Int, inMonth: UInt32) -> UInt32 {
        var bits = monthDays & inMonth
        if lastDayOfMonth { bits |= 1 << UInt32(length) }
        if lastWeekdayOfMonth {
            bits |= 1 << UInt32(Self.lastWeekday(length: length, firstWeekday: firstWeekday))
        }
        var nearest = nearestWeekdays & inMonth
        while nearest != 0 {
            let day = nearest.trailingZeroBitCount
            nearest &= nearest &- 1
            bits |= 1 << UInt32(Self.nearestWeekday(to: day, length: length, firstWeekday: firstWeekday))
        }
        return bits
    }

    @inline(__always)
    private func weekdayMask(length: Int, firstWeekday: Int, inMonth: UInt32) -> UInt32 {
        // The 7 weekday bits repeated six times: bit k of `repeated` is weekday k % 7, and day d
        // falls on weekday (firstWeekday + d - 1) % 7.
        let repeated = UInt64(weekdays) &* 0x8_1020_4081
        var bits = UInt32(truncatingIfNeeded: (repeated >> UInt64(firstWeekday)) << 1) & inMonth
        if nthWeekdays != 0 || lastWeekdays != 0 {
            for weekday in 0..<7 {
                let nth = UInt32(truncatingIfNeeded: nthWeekdays >> UInt64(weekday * 5)) & 0x1F
                let last = lastWeekdays & (1 << UInt8(weekday)) != 0
                if nth == 0 && !last { continue }
                let first = 1 + (weekday - firstWeekday + 7) % 7
                var remaining = nth
                while remaining != 0 {
                    let n = remaining.trailingZeroBitCount
                    remaining &= remaining &- 1
                    let day = first + 7 * n
                    if day <= length { bits |= 1 << UInt32(day) }
                }
                if last { bits |= 1 << UInt32(first + 7 * ((length - first) / 7)) }
            }
        }
        return bits
    }

    /// The last Monday-Friday of a month.
    static func lastWeekday(length: Int, firstWeekday: Int) -> Int {
        switch (firstWeekday + length - 1) % 7 {
        case 6: length - 1
        case 0: length - 2
        default: length
        }
    }

    /// The Monday-Friday nearest `day` without leaving the month (Quartz `W`): a Saturday moves to
    /// the Friday before unless that is in the previous month (then the Monday after); a Sunday
    /// moves to the Monday after unless that is in the next month (then the Friday before).
    static func nearestWeekday(to day: Int, length: Int, firstWeekday: Int) -> Int {
        switch (firstWeekday + day - 1) % 7 {
        case 6: day == 1 ? 3 : day - 1
        case 0: day == length ? day - 2 : day + 1
        default: day
        }
    }

    /// Every (month length, weekday of the 1st) that occurs in the Gregorian calendar, per month:
    /// bit `(length - 28) * 7 + firstWeekday` of entry `month`. Computed once over a full
    /// 400-year cycle (146,097 days, exactly 20,871 weeks), after which the calendar repeats.
    static let occurringMonthShapes: [UInt32] = {
        var shapes = [UInt32](repeating: 0, count: 13)
        for year in 2000..<2400 {
            for month in 1...12 {
                let length = CivilDate.daysInMonth(year: year, month: month)
                let first = CivilDate.weekday(ofDays: CivilDate.days(year: year, month: month, day: 1))
                shapes[month] |= 1 << UInt32((length - 28) * 7 + first)
            }
        }
        return shapes
    }()

    /// Whether some day of some month in `months` (bits 1...12) matches, in any year.
    ///
    /// Exact: it tries every month shape the 400-year Gregorian cycle contains.
    func canMatch(inMonths months: UInt16) -> Bool {
        for month in 1...12 where months & (1 << UInt16(month)) != 0 {
            var shapes = Self.occurringMonthShapes[month]
            while shapes != 0 {
                let shape = shapes.trailingZeroBitCount
                shapes &= shapes &- 1
                if mask(length: 28 + shape / 7, firstWeekday: shape % 7) != 0 { return true }
            }
        }
        return false
    }
}
