import Foundation

/// The fire times of a `CronExpression` after a start date, computed lazily in increasing order.
///
/// Each step is one `nextDate(after:in:)`; the sequence ends if the expression stops firing
/// (which happens only at the year 10000 or for an expression that never fires in the zone).
///
/// ```swift
/// for date in try CronExpression("@hourly").dates(after: .now, in: .current).prefix(3) { print(date) }
/// ```
public struct CronDates: Sequence, Sendable {
    /// The schedule.
    public let expression: CronExpression
    /// The dates are strictly after this one.
    public let start: Date
    /// The zone the expression is evaluated in.
    public let timeZone: TimeZone

    init(expression: CronExpression, start: Date, timeZone: TimeZone) {
        self.expression = expression
        self.start = start
        self.timeZone = timeZone
    }

    /// An iterator that computes each date on demand.
    public struct Iterator: IteratorProtocol, Sendable {
        private let expression: CronExpression
        private let zone: ZoneOffsets
        private var cursor: Int64?

        init(expression: CronExpression, start: Date, timeZone: TimeZone) {
            self.expression = expression
            self.zone = ZoneOffsets.of(timeZone)
            self.cursor = CronExpression.instant(start, roundingUp: false)
        }

        /// The next fire time, or `nil` when there is none.
        public mutating func next() -> Date? {
            guard let current = cursor else { return nil }
            cursor = expression.nextInstant(after: current, in: zone)
            return cursor.map(CronExpression.date)
        }
    }

    /// Starts computing the dates.
    public func makeIterator() -> Iterator {
        Iterator(expression: expression, start: start, timeZone: timeZone)
    }
}
