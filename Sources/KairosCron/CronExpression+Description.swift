/// The normalized text of an expression (SPEC.md §1, "Normalized text").
extension CronExpression: CustomStringConvertible {
    /// The expression in normalized form: macros expanded, names replaced by numbers (Sunday is
    /// 0), lists sorted and merged into ranges, unrestricted fields written `*`.
    ///
    /// Parsing it gives an equal expression. A field is written starting with `*` only where that
    /// changes the meaning (the DST mode, or the day-of-month/day-of-week rule), so `0 0-23 * * *`
    /// stays as it is while `0 */1 * * *` becomes `0 * * * *`. A 6-field expression whose seconds
    /// field is just `0` is written with 5 fields when that means the same.
    public var description: String {
        let dayFields = dayFieldTexts()
        let month = Self.plainText(UInt64(months), in: CronField.month.range)
        if followsWallClock {
            return [
                Self.listText(minutes, in: CronField.minute.range), Self.listText(UInt64(hours), in: CronField.hour.range),
                dayFields.dayOfMonth, month, dayFields.dayOfWeek,
            ].joined(separator: " ")
        }
        var minute = Self.plainText(minutes, in: CronField.minute.range)
        var hour = Self.plainText(UInt64(hours), in: CronField.hour.range)
        if seconds == 1 {
            if !minute.hasPrefix("*") && !hour.hasPrefix("*") {
                if let starred = Self.starText(minutes, in: CronField.minute.range) {
                    minute = starred
                } else if let starred = Self.starText(UInt64(hours), in: CronField.hour.range) {
                    hour = starred
                }
            }
            if minute.hasPrefix("*") || hour.hasPrefix("*") {
                return [minute, hour, dayFields.dayOfMonth, month, dayFields.dayOfWeek].joined(separator: " ")
            }
        }
        return [
            Self.plainText(seconds, in: CronField.second.range), minute, hour,
            dayFields.dayOfMonth, month, dayFields.dayOfWeek,
        ].joined(separator: " ")
    }

    private func dayFieldTexts() -> (dayOfMonth: String, dayOfWeek: String) {
        let monthDayRange = CronField.dayOfMonth.range
        func monthDayExtras() -> [String] {
            var extras: [String] = []
            if days.lastDayOfMonth { extras.append("L") }
            if days.lastWeekdayOfMonth { extras.append("LW") }
            for day in Self.values(UInt64(days.nearestWeekdays)) { extras.append("\(day)W") }
            return extras
        }
        func weekdayExtras() -> [String] {
            var extras: [String] = []
            for weekday in 0..<7 {
                for n in 1...5 where days.nthWeekdays & (1 << UInt64(weekday * 5 + n - 1)) != 0 {
                    extras.append("\(weekday)#\(n)")
                }
            }
            for weekday in Self.values(UInt64(days.lastWeekdays)) { extras.append("\(weekday)L") }
            return extras
        }
        func join(_ head: String, _ extras: [String]) -> String {
            ([head].filter { !$0.isEmpty } + extras).joined(separator: ",")
        }
        let weekdayRange = 0...6
        let plainMonthDays = join(Self.listText(UInt64(days.monthDays), in: monthDayRange), monthDayExtras())
        let plainWeekdays = join(Self.listText(UInt64(days.weekdays), in: weekdayRange), weekdayExtras())
        switch days.rule {
        case .everyDay: return ("*", "*")
        case .dayOfMonth: return (plainMonthDays, "*")
        case .dayOfWeek: return ("*", plainWeekdays)
        case .either: return (plainMonthDays, plainWeekdays)
        case .both:
            if let starred = Self.starText(UInt64(days.monthDays), in: monthDayRange, allowingWholeSpan: true) {
                return (join(starred, monthDayExtras()), plainWeekdays)
            }
            // Parsing guarantees one side contains its field's minimum (it started with `*`).
            let starredWeekdays = Self.starText(UInt64(days.weekdays), in: 0...7, foldingSeven: true, allowingWholeSpan: true) ?? "*"
            return (plainMonthDays, join(starredWeekdays, weekdayExtras()))
        }
    }

    static func values(_ mask: UInt64) -> [Int] {
        var values: [Int] = []
        var rest = mask
        while rest != 0 {
            values.append(rest.trailingZeroBitCount)
            rest &= rest &- 1
        }
        return values
    }

    private static func progression(from low: Int, through high: Int, step: Int, foldingSeven: Bool = false) -> UInt64 {
        var mask: UInt64 = 0
        for value in stride(from: low, through: high, by: step) {
            mask |= 1 << UInt64(foldingSeven && value == 7 ? 0 : value)
        }
        return mask
    }

    /// `*`, `*/n`, or a list that does not start with `*`.
    static func plainText(_ mask: UInt64, in range: ClosedRange<Int>) -> String {
        for step in 1...range.count where mask == progression(from: range.lowerBound, through: range.upperBound, step: step) {
            if step == 1 { return "*" }
            if step < range.count && mask.nonzeroBitCount > 2 { return "*/\(step)" }
        }
        return listText(mask, in: range)
    }

    /// A form starting with `*` (`*/n` plus the values the step misses), if there is one with a
    /// step smaller than the field (or as large as the field, `*/span` meaning just the minimum,
    /// when `allowingWholeSpan`).
    static func starText(_ mask: UInt64, in range: ClosedRange<Int>, foldingSeven: Bool = false, allowingWholeSpan: Bool = false) -> String? {
        let span = range.count
        for step in 1..<(allowingWholeSpan ? span + 1 : span) {
            let stepped = progression(from: range.lowerBound, through: range.upperBound, step: step, foldingSeven: foldingSeven)
            guard stepped & mask == stepped else { continue }
            let head = step == 1 ? "*" : "*/\(step)"
            let rest = mask & ~stepped
            return rest == 0 ? head : head + "," + listText(rest, in: range)
        }
        return nil
    }

    /// Values as `a-b/n` (an arithmetic progression of 3 or more) or as runs `a-b` and single values.
    static func listText(_ mask: UInt64, in range: ClosedRange<Int>) -> String {
        let list = values(mask)
        if list.count >= 3 {
            let step = list[1] - list[0]
            if step > 1 && zip(list, list.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                return "\(list[0])-\(list[list.count - 1])/\(step)"
            }
        }
        return runs(list, range: { "\($0)-\($1)" }, single: { "\($0)" }).joined(separator: ",")
    }

    /// Sorted values as runs of 3 or more consecutive values (`range`) and single values.
    static func runs(_ list: [Int], range: (Int, Int) -> String, single: (Int) -> String) -> [String] {
        var parts: [String] = []
        var index = 0
        while index < list.count {
            var end = index
            while end + 1 < list.count && list[end + 1] == list[end] + 1 { end += 1 }
            if end - index >= 2 {
                parts.append(range(list[index], list[end]))
            } else {
                parts.append(contentsOf: list[index...end].map(single))
            }
            index = end + 1
        }
        return parts
    }
}
