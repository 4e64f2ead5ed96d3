/// Turns cron text into a `CronExpression`; see SPEC.md §1 for the grammar.
///
/// It works on one byte per `Character` of the input (ASCII as itself, any other character as a
/// byte no rule accepts, other whitespace as a space), so that error offsets are character columns
/// while the scan stays byte arithmetic.
struct CronParser {
    private let text: String
    private let units: [UInt8]
    private static let space = UInt8(ascii: " ")
    private static let foreign: UInt8 = 0x80

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    private static let fullMonthNames = [
        "january", "february", "march", "april", "may", "june", "july",
        "august", "september", "october", "november", "december",
    ]
    private static let fullDayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// What one field said, before the fields are combined.
    private struct Field {
        var values: UInt64 = 0
        var startsWithStar = false
        var lastDayOfMonth = false
        var lastWeekdayOfMonth = false
        var nearestWeekdays: UInt32 = 0
        var nthWeekdays: UInt64 = 0
        var lastWeekdays: UInt8 = 0
    }

    init(_ text: String) {
        self.text = text
        if text.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\r") }) {
            units = Array(text.utf8)
        } else {
            units = text.map { character in
                if let ascii = character.asciiValue, character.unicodeScalars.count == 1 { return ascii }
                return character.isWhitespace ? Self.space : Self.foreign
            }
        }
    }

    /// The input's characters from `start` to `end`; only used to build errors.
    private func slice(_ start: Int, _ end: Int) -> String {
        String(Array(text)[start..<end])
    }

    private func character(at index: Int) -> Character {
        Array(text)[index]
    }

    @inline(__always)
    private static func isWhitespace(_ unit: UInt8) -> Bool {
        unit == space || (unit >= 0x09 && unit <= 0x0D)
    }

    @inline(__always)
    private static func isLetter(_ unit: UInt8) -> Bool {
        (unit | 0x20) >= UInt8(ascii: "a") && (unit | 0x20) <= UInt8(ascii: "z")
    }

    @inline(__always)
    private static func isDigit(_ unit: UInt8) -> Bool {
        unit >= UInt8(ascii: "0") && unit <= UInt8(ascii: "9")
    }

    @inline(__always)
    private static func lowercased(_ unit: UInt8) -> UInt8 {
        isLetter(unit) ? unit | 0x20 : unit
    }

    func parse() throws(CronParseError) -> CronExpression {
        var tokens: [(start: Int, end: Int)] = []
        var index = 0
        while index < units.count {
            if Self.isWhitespace(units[index]) { index += 1; continue }
            let start = index
            while index < units.count && !Self.isWhitespace(units[index]) { index += 1 }
            tokens.append((start, index))
        }
        guard let first = tokens.first else {
            throw CronParseError(field: nil, fieldPosition: nil, token: text, offset: 0, reason: .empty)
        }
        if units[first.start] == UInt8(ascii: "@") {
            let word = slice(first.start, first.end)
            guard let expansion = Self.macros[word.lowercased()] else {
                throw CronParseError(field: nil, fieldPosition: nil, token: word, offset: first.start, reason: .unknownMacro)
            }
            guard tokens.count == 1 else {
                throw wholeExpressionError(tokens, reason: .wrongFieldCount(tokens.count))
            }
            return try CronParser(expansion).parse()
        }
        guard tokens.count == 5 || tokens.count == 6 else {
            throw wholeExpressionError(tokens, reason: .wrongFieldCount(tokens.count))
        }
        let kinds: [CronField] =
            tokens.count == 6
            ? [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
            : [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        var fields = [Field?](repeating: nil, count: CronField.allCases.count)
        for (position, (kind, token)) in zip(kinds, tokens).enumerated() {
            fields[kind.rawValue] = try parseField(kind, position: position + 1, start: token.start, end: token.end)
        }
        func field(_ kind: CronField) -> Field { fields[kind.rawValue] ?? Field() }
        let second = fields[CronField.second.rawValue], minute = field(.minute), hour = field(.hour)
        let dayOfMonth = field(.dayOfMonth), month = field(.month), dayOfWeek = field(.dayOfWeek)

        var days = CronDays()
        let weekdays = UInt8(truncatingIfNeeded: (dayOfWeek.values & 0x7F) | ((dayOfWeek.values >> 7) & 1))
        let allMonthDays = dayOfMonth.values & UInt64(CronDays.allMonthDays) == UInt64(CronDays.allMonthDays)
        let allWeekdays = weekdays == CronDays.allWeekdays
        if dayOfMonth.startsWithStar || dayOfWeek.startsWithStar {
            switch (allMonthDays, allWeekdays) {
            case (true, true): days.rule = .everyDay
            case (true, false): days.rule = .dayOfWeek
            case (false, true): days.rule = .dayOfMonth
            case (false, false): days.rule = .both
            }
        } else {
            days.rule = allMonthDays || allWeekdays ? .everyDay : .either
        }
        if days.restrictsDayOfMonth {
            days.monthDays = UInt32(truncatingIfNeeded: dayOfMonth.values)
            days.lastDayOfMonth = dayOfMonth.lastDayOfMonth
            days.lastWeekdayOfMonth = dayOfMonth.lastWeekdayOfMonth
            days.nearestWeekdays = dayOfMonth.nearestWeekdays
        }
        if days.restrictsDayOfWeek {
            days.weekdays = weekdays
            days.nthWeekdays = dayOfWeek.nthWeekdays
            days.lastWeekdays = dayOfWeek.lastWeekdays
        }
        let expression = CronExpression(
            seconds: second?.values ?? 1,
            minutes: minute.values,
            hours: UInt32(truncatingIfNeeded: hour.values),
            days: days,
            months: UInt16(truncatingIfNeeded: month.values),
            followsWallClock: second == nil && !minute.startsWithStar && !hour.startsWithStar
        )
        guard days.canMatch(inMonths: expression.months) else {
            throw wholeExpressionError(tokens, reason: .neverFires)
        }
        return expression
    }

    private func wholeExpressionError(_ tokens: [(start: Int, end: Int)], reason: CronParseError.Reason) -> CronParseError {
        let start = tokens.first?.start ?? 0
        let end = tokens.last?.end ?? 0
        return CronParseError(field: nil, fieldPosition: nil, token: slice(start, end), offset: start, reason: reason)
    }

    private func parseField(_ kind: CronField, position: Int, start: Int, end: Int) throws(CronParseError) -> Field {
        var field = Field()
        field.startsWithStar = units[start] == UInt8(ascii: "*") || units[start] == UInt8(ascii: "?")
        var itemStart = start
        while true {
            var itemEnd = itemStart
            while itemEnd < end && units[itemEnd] != UInt8(ascii: ",") { itemEnd += 1 }
            if itemStart == itemEnd {
                // An empty item has no text of its own: report the whole field.
                throw Item(parser: self, field: kind, position: position, start: start, end: end).error(.emptyListItem)
            }
            try Item(parser: self, field: kind, position: position, start: itemStart, end: itemEnd).parse(into: &field)
            if itemEnd == end { return field }
            itemStart = itemEnd + 1
        }
    }

    /// One comma-separated term of a field.
    private struct Item {
        let parser: CronParser
        let field: CronField
        let position: Int
        let start: Int
        let end: Int

        var units: [UInt8] { parser.units }

        func error(_ reason: CronParseError.Reason) -> CronParseError {
            CronParseError(field: field, fieldPosition: position, token: parser.slice(start, end), offset: start, reason: reason)
        }

        func unexpected(at index: Int) -> CronParseError {
            error(.unexpectedCharacter(parser.character(at: index)))
        }

        func lower(_ index: Int) -> UInt8 {
            CronParser.lowercased(units[index])
        }

        func parse(into result: inout Field) throws(CronParseError) {
            let range = field.range
            let head = lower(start)
            if head == UInt8(ascii: "*") || head == UInt8(ascii: "?") {
                if head == UInt8(ascii: "?") && field != .dayOfMonth && field != .dayOfWeek { throw error(.extensionNotAllowed) }
                var step = 1
                if start + 1 < end {
                    guard head == UInt8(ascii: "*"), units[start + 1] == UInt8(ascii: "/") else { throw unexpected(at: start + 1) }
                    step = try readStep(from: start + 2)
                }
                add(range.lowerBound, range.upperBound, step: step, to: &result)
                return
            }
            if field == .dayOfMonth && head == UInt8(ascii: "l") {
                if end == start + 1 { result.lastDayOfMonth = true; return }
                if end == start + 2 && lower(start + 1) == UInt8(ascii: "w") { result.lastWeekdayOfMonth = true; return }
                throw unexpected(at: start + 1)
            }
            let (low, afterLow) = try readValue(from: start)
            guard afterLow < end else {
                add(low, low, step: 1, to: &result)
                return
            }
            switch lower(afterLow) {
            case UInt8(ascii: "-"):
                guard afterLow + 1 < end else { throw error(.missingValue) }
                let (high, afterHigh) = try readValue(from: afterLow + 1)
                if high < low { throw error(.reversedRange) }
                var step = 1
                if afterHigh < end {
                    guard units[afterHigh] == UInt8(ascii: "/") else { throw unexpected(at: afterHigh) }
                    step = try readStep(from: afterHigh + 1)
                }
                add(low, high, step: step, to: &result)
            case UInt8(ascii: "/"):
                add(low, range.upperBound, step: try readStep(from: afterLow + 1), to: &result)
            case UInt8(ascii: "#"):
                guard field == .dayOfWeek else { throw error(.extensionNotAllowed) }
                guard afterLow + 1 < end else { throw error(.missingValue) }
                let (nth, afterNth) = try readNumber(from: afterLow + 1)
                if afterNth < end { throw unexpected(at: afterNth) }
                guard (1...5).contains(nth) else { throw error(.outOfRange(1...5)) }
                result.nthWeekdays |= 1 << UInt64((low % 7) * 5 + nth - 1)
            case UInt8(ascii: "w"):
                guard field == .dayOfMonth else { throw error(.extensionNotAllowed) }
                if afterLow + 1 < end { throw unexpected(at: afterLow + 1) }
                result.nearestWeekdays |= 1 << UInt32(low)
            case UInt8(ascii: "l"):
                guard field == .dayOfWeek else { throw error(.extensionNotAllowed) }
                if afterLow + 1 < end { throw unexpected(at: afterLow + 1) }
                result.lastWeekdays |= 1 << UInt8(low % 7)
            default:
                throw unexpected(at: afterLow)
            }
        }

        private func add(_ low: Int, _ high: Int, step: Int, to result: inout Field) {
            for value in stride(from: low, through: high, by: step) {
                result.values |= 1 << UInt64(value)
            }
        }

        /// A run of digits, saturating instead of overflowing.
        private func readNumber(from index: Int) throws(CronParseError) -> (Int, Int) {
            var cursor = index
            var value = 0
            while cursor < end && CronParser.isDigit(units[cursor]) {
                value = value > 1_000_000 ? value : value * 10 + Int(units[cursor] - UInt8(ascii: "0"))
                cursor += 1
            }
            if cursor == index {
                if cursor == end { throw error(.missingValue) }
                throw unexpected(at: cursor)
            }
            return (value, cursor)
        }

        private func readStep(from index: Int) throws(CronParseError) -> Int {
            if index < end && CronParser.isLetter(units[index]) { throw error(.nameAsStep) }
            let (step, after) = try readNumber(from: index)
            if after < end { throw unexpected(at: after) }
            if step == 0 { throw error(.zeroStep) }
            return step
        }

        /// A number or a name; returns the value and the index after it.
        private func readValue(from index: Int) throws(CronParseError) -> (Int, Int) {
            guard index < end, CronParser.isLetter(units[index]) else {
                let (value, after) = try readNumber(from: index)
                guard field.range.contains(value) else { throw error(.outOfRange(field.range)) }
                return (value, after)
            }
            var cursor = index
            while cursor < end && CronParser.isLetter(units[cursor]) { cursor += 1 }
            let word = String(decoding: units[index..<cursor].map(CronParser.lowercased), as: UTF8.self)
            let names: [String], fullNames: [String], offset: Int
            switch field {
            case .month: (names, fullNames, offset) = (CronParser.monthNames, CronParser.fullMonthNames, 1)
            case .dayOfWeek: (names, fullNames, offset) = (CronParser.dayNames, CronParser.fullDayNames, 0)
            default:
                throw error(word == "l" || word == "w" || word == "lw" ? .extensionNotAllowed : .nameNotAllowed)
            }
            if let found = names.firstIndex(of: word) { return (found + offset, cursor) }
            if field == .dayOfWeek, word.count == 4, word.hasSuffix("l"), let found = names.firstIndex(of: String(word.prefix(3))) {
                return (found, cursor - 1)
            }
            if word.count > 3, let full = fullNames.firstIndex(where: { $0.hasPrefix(word) }) {
                throw error(.fullName(abbreviation: names[full]))
            }
            if field == .dayOfWeek && (word == "l" || word == "w" || word == "lw") { throw error(.extensionNotAllowed) }
            throw error(.unknownName)
        }
    }
}
