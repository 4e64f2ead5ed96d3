/// One field of a cron expression.
///
/// A 5-field expression has `minute hour day-of-month month day-of-week`; a 6-field expression
/// puts `second` in front.
public enum CronField: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Seconds, 0-59; only in 6-field expressions, where it comes first.
    case second
    /// Minutes, 0-59.
    case minute
    /// Hours, 0-23.
    case hour
    /// Day of the month, 1-31, with the extensions `L`, `LW`, `nW` and `?`.
    case dayOfMonth
    /// Month, 1-12 or `jan`-`dec`.
    case month
    /// Day of the week, 0-7 (0 and 7 are Sunday) or `sun`-`sat`, with `d#n`, `dL` and `?`.
    case dayOfWeek

    /// The field's name as error messages spell it, e.g. `day-of-week`.
    public var description: String {
        switch self {
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    /// The values the field accepts (day-of-week accepts 7 as a second Sunday).
    public var range: ClosedRange<Int> {
        switch self {
        case .second, .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }
}
