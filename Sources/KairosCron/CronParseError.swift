/// Why a cron expression was rejected, and where.
///
/// `description` is a message a user can act on, for example:
///
/// ```
/// day-of-week field (5th): "monday" at column 10: full day names are not accepted; use mon
/// ```
public struct CronParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field the offending token belongs to, or `nil` when the problem is the expression as a
    /// whole (field count, unknown macro, an expression that can never fire).
    public let field: CronField?
    /// The 1-based position of that field in the expression as written (a 6-field expression's
    /// day-of-week is 6th), or `nil` with `field`.
    public let fieldPosition: Int?
    /// The offending text: a list item such as `5-1`, or the whole expression.
    public let token: String
    /// The 0-based character offset of `token` in the input (messages print it 1-based, as a column).
    public let offset: Int
    /// What is wrong.
    public let reason: Reason

    /// What is wrong with a cron expression.
    public enum Reason: Sendable, Hashable {
        /// The expression is empty or blank.
        case empty
        /// Not 5 or 6 fields; carries the number found.
        case wrongFieldCount(Int)
        /// An `@` word that is not one of `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
        case unknownMacro
        /// A list with an empty item, as in `1,,2` or `5,`.
        case emptyListItem
        /// A value is missing where one is required, as in `1-`, `*/` or `5#`.
        case missingValue
        /// A character that cannot follow what came before it, as in `5)` or `*5`.
        case unexpectedCharacter(Character)
        /// A number outside the range the field (or the position within the term) accepts.
        case outOfRange(ClosedRange<Int>)
        /// A range whose start is after its end, as in `5-1`.
        case reversedRange
        /// A step of 0, as in `*/0`.
        case zeroStep
        /// A name used as a step, as in `*/mon`.
        case nameAsStep
        /// A full month or day name such as `monday`; carries the accepted abbreviation.
        case fullName(abbreviation: String)
        /// Letters that are not a name the field knows.
        case unknownName
        /// A name in a field that only takes numbers (names exist for month and day-of-week).
        case nameNotAllowed
        /// `L`, `W`, `#` or `?` where the field does not support it.
        case extensionNotAllowed
        /// The expression is well formed but no date in the 400-year Gregorian cycle satisfies
        /// its day-of-month, month and day-of-week fields together, so it can never fire.
        case neverFires
    }

    init(field: CronField?, fieldPosition: Int?, token: String, offset: Int, reason: Reason) {
        self.field = field
        self.fieldPosition = fieldPosition
        self.token = token
        self.offset = offset
        self.reason = reason
    }

    /// A message naming the field, the token, its column and the problem.
    public var description: String {
        var prefix = ""
        if let field, let fieldPosition {
            prefix = "\(field) field (\(Self.ordinal(fieldPosition))): "
        }
        return "\(prefix)\"\(token)\" at column \(offset + 1): \(explanation)"
    }

    private var explanation: String {
        switch reason {
        case .empty:
            return "the expression is empty; expected 5 fields (minute hour day-of-month month day-of-week), 6 with a leading seconds field, or a macro such as @daily"
        case .wrongFieldCount(let count):
            return "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found \(count)"
        case .unknownMacro:
            return token.lowercased() == "@reboot"
                ? "@reboot is not a schedule; it only means something to a crontab runner"
                : "unknown macro; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
        case .emptyListItem:
            return "empty item in a list; remove the extra comma"
        case .missingValue:
            return "a number is missing"
        case .unexpectedCharacter(let character):
            return "unexpected \"\(character)\"; a term is a value, a range a-b, a step */n or a-b/n, or a list of those separated by commas"
        case .outOfRange(let range):
            return "out of range; \(field.map { "the \($0)" } ?? "the value") must be within \(range.lowerBound)-\(range.upperBound)"
        case .reversedRange:
            return "the range starts after it ends; write it low-high (a list such as fri,sat,sun covers a wrap-around)"
        case .zeroStep:
            return "a step must be at least 1"
        case .nameAsStep:
            return "a step must be a number, not a name"
        case .fullName(let abbreviation):
            let kind = field == .month ? "month" : "day"
            return "full \(kind) names are not accepted; use \(abbreviation)"
        case .unknownName:
            switch field {
            case .month: return "unknown month name; use jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov or dec"
            case .dayOfWeek: return "unknown day name; use sun, mon, tue, wed, thu, fri or sat"
            default: return "not a number"
            }
        case .nameNotAllowed:
            return "names are only accepted in the month and day-of-week fields"
        case .extensionNotAllowed:
            return "this field does not accept it (L, W and ? belong to day-of-month; L after a day, # and ? to day-of-week)"
        case .neverFires:
            return "the expression can never fire: no date in the 400-year Gregorian cycle matches its day-of-month, month and day-of-week fields together"
        }
    }

    static func ordinal(_ n: Int) -> String {
        switch n {
        case 1: "1st"
        case 2: "2nd"
        case 3: "3rd"
        default: "\(n)th"
        }
    }
}
