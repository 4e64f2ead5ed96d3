/// Human-readable English for an expression.
extension CronExpression {
    /// The schedule in English, for example `At 09:00, Monday through Friday` or
    /// `Every 15 minutes, between 09:00 and 17:59, on the last day of the month`.
    ///
    /// Describes the normalized meaning (so `@weekly` reads `At 00:00, Sunday`). Times are 24-hour
    /// local wall-clock times; the text does not mention DST handling.
    public var explanation: String {
        var parts = [timePhrase]
        if let day = dayPhrase { parts.append(day) }
        if let month = monthPhrase { parts.append(month) }
        return parts.joined(separator: ", ")
    }

    private static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = [
        "", "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ]
    private static let ordinals = ["", "first", "second", "third", "fourth", "fifth"]

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// "a, b and c" (or "a, b or c").
    private static func sentenceList(_ items: [String], conjunction: String = "and") -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items[items.count - 1]
    }

    /// Runs of 3 or more as "a through b", the rest listed.
    private static func runs(_ values: [Int], conjunction: String = "and", name: (Int) -> String) -> String {
        sentenceList(runs(values, range: { "\(name($0)) through \(name($1))" }, single: name), conjunction: conjunction)
    }

    /// The step of an exact `*/n` progression over a field, if the mask is one (n > 1).
    private static func uniformStep(_ mask: UInt64, in range: ClosedRange<Int>) -> Int? {
        for step in 2..<range.count {
            var stepped: UInt64 = 0
            for value in stride(from: range.lowerBound, through: range.upperBound, by: step) { stepped |= 1 << UInt64(value) }
            if stepped == mask { return step }
        }
        return nil
    }

    /// The step of a sorted list of 3 or more values with a constant gap larger than 1.
    private static func progressionStep(_ list: [Int]) -> Int? {
        guard list.count >= 3 else { return nil }
        let step = list[1] - list[0]
        return step > 1 && zip(list, list.dropFirst()).allSatisfy({ $1 - $0 == step }) ? step : nil
    }

    private static func isFull(_ mask: UInt64, in range: ClosedRange<Int>) -> Bool {
        values(mask).count == range.count
    }

    private var timePhrase: String {
        let secondList = Self.values(seconds), minuteList = Self.values(minutes), hourList = Self.values(UInt64(hours))
        let minuteRange = CronField.minute.range, hourRange = CronField.hour.range
        let allHours = Self.isFull(UInt64(hours), in: hourRange)
        let allMinutes = Self.isFull(minutes, in: minuteRange)
        // A few exact times: "At 09:00 and 17:30".
        if secondList.count == 1 && minuteList.count * hourList.count <= 6 {
            let times = hourList.flatMap { hour in
                minuteList.map { minute in
                    "\(Self.twoDigits(hour)):\(Self.twoDigits(minute))" + (secondList[0] == 0 ? "" : ":\(Self.twoDigits(secondList[0]))")
                }
            }
            return "At " + Self.sentenceList(times)
        }
        var phrase: String
        if seconds == 1 {
            phrase = minutePhrase(minuteList, allMinutes: allMinutes)
        } else {
            phrase = Self.unitPhrase(seconds, list: secondList, range: CronField.second.range, unit: "second")
            if !allMinutes {
                if let step = Self.uniformStep(minutes, in: minuteRange) {
                    phrase += ", in every \(CronParseError.ordinal(step)) minute"
                } else {
                    phrase += ", " + minutePhrase(minuteList, allMinutes: false).lowercasedFirst
                }
            }
        }
        if allHours {
            if seconds == 1 && minuteList.count == 1 && allHours {
                return minuteList[0] == 0 ? "Every hour" : "At minute \(minuteList[0]) of every hour"
            }
            return phrase
        }
        if let step = Self.uniformStep(UInt64(hours), in: hourRange) {
            return phrase + ", every \(step) hours"
        }
        let first = hourList[0], last = hourList[hourList.count - 1]
        if let step = Self.progressionStep(hourList) {
            return phrase + ", every \(step) hours from \(Self.twoDigits(first)):00 through \(Self.twoDigits(last)):59"
        }
        if hourList.count == last - first + 1 {
            return phrase + ", between \(Self.twoDigits(hourList[0])):00 and \(Self.twoDigits(hourList[hourList.count - 1])):59"
        }
        return phrase + ", in the hours " + Self.sentenceList(hourList.map { "\(Self.twoDigits($0)):00-\(Self.twoDigits($0)):59" })
    }

    private func minutePhrase(_ list: [Int], allMinutes: Bool) -> String {
        Self.unitPhrase(minutes, list: list, range: CronField.minute.range, unit: "minute")
    }

    private static func unitPhrase(_ mask: UInt64, list: [Int], range: ClosedRange<Int>, unit: String) -> String {
        if isFull(mask, in: range) { return "Every \(unit)" }
        if let step = uniformStep(mask, in: range) { return "Every \(step) \(unit)s" }
        if list.count == 1 { return "At \(unit) \(list[0])" }
        if let step = progressionStep(list) {
            return "Every \(step) \(unit)s from \(unit) \(list[0]) through \(list[list.count - 1])"
        }
        return "At \(unit)s " + runs(list) { "\($0)" }
    }

    private var monthDayPhrase: String {
        var items: [String] = []
        let list = Self.values(UInt64(days.monthDays))
        if let step = Self.progressionStep(list) {
            items.append("on every \(CronParseError.ordinal(step)) day of the month from day \(list[0]) through day \(list[list.count - 1])")
        } else if !list.isEmpty {
            items.append((list.count == 1 ? "on day " : "on days ") + Self.runs(list) { "\($0)" } + " of the month")
        }
        if days.lastDayOfMonth { items.append("on the last day of the month") }
        if days.lastWeekdayOfMonth { items.append("on the last weekday of the month") }
        for day in Self.values(UInt64(days.nearestWeekdays)) {
            items.append("on the weekday nearest day \(day) of the month")
        }
        return Self.sentenceList(items)
    }

    /// Day-of-week items, the plain weekdays without a leading "on".
    private func weekdayItems(conjunction: String = "and") -> (plain: String?, others: [String]) {
        let list = Self.values(UInt64(days.weekdays))
        let plain = list.isEmpty ? nil : Self.runs(list, conjunction: conjunction) { Self.weekdayNames[$0] }
        var others: [String] = []
        for weekday in 0..<7 {
            for n in 1...5 where days.nthWeekdays & (1 << UInt64(weekday * 5 + n - 1)) != 0 {
                others.append("on the \(Self.ordinals[n]) \(Self.weekdayNames[weekday]) of the month")
            }
            if days.lastWeekdays & (1 << UInt8(weekday)) != 0 {
                others.append("on the last \(Self.weekdayNames[weekday]) of the month")
            }
        }
        return (plain, others)
    }

    private var dayPhrase: String? {
        let weekdays = weekdayItems()
        switch days.rule {
        case .everyDay:
            return nil
        case .dayOfMonth:
            return monthDayPhrase
        case .dayOfWeek:
            return Self.sentenceList((weekdays.plain.map { [$0] } ?? []) + weekdays.others)
        case .either:
            let weekdayText = Self.sentenceList((weekdays.plain.map { ["on \($0)"] } ?? []) + weekdays.others)
            return monthDayPhrase + ", and " + weekdayText
        case .both:
            let alternatives = weekdayItems(conjunction: "or")
            let condition = Self.sentenceList(
                (alternatives.plain.map { ["it is \($0)"] } ?? [])
                    + alternatives.others.map { "it is " + $0.dropFirst(3) }, conjunction: "or")
            return monthDayPhrase + ", if " + condition
        }
    }

    private var monthPhrase: String? {
        let list = Self.values(UInt64(months))
        if list.count == 12 { return nil }
        if let step = Self.progressionStep(list) {
            return "in every \(CronParseError.ordinal(step)) month from \(Self.monthNames[list[0]]) through \(Self.monthNames[list[list.count - 1]])"
        }
        return "in " + Self.runs(list) { Self.monthNames[$0] }
    }
}

extension String {
    fileprivate var lowercasedFirst: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
