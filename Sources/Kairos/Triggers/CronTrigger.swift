import Foundation

/// Fires on the dates of a cron expression, in a time zone.
///
/// ```swift
/// let trigger = CronTrigger(try CronExpression("0 9 * * mon-fri"), timeZone: TimeZone(identifier: "Europe/Paris")!)
/// ```
///
/// Dates follow `CronExpression.nextDate(after:in:)`, including its daylight-saving rules (a
/// fixed-time expression whose time is skipped fires at the transition; one whose time is
/// repeated fires once). `start` and `end` bound the dates, both inclusive.
///
/// - Complexity: ``nextFireDate(after:)`` is one cron jump (bounded, well under a microsecond
///   typically).
public struct CronTrigger: Trigger, Hashable, Codable, DescribableTrigger {
    /// The schedule.
    public var expression: CronExpression
    /// The time zone the expression's fields are read in.
    public var timeZone: TimeZone
    /// No date before this instant, if set.
    public var start: Date?
    /// No date after this instant, if set.
    public var end: Date?

    /// Creates a cron trigger that fires on every date of the expression.
    ///
    /// - Parameters:
    ///   - expression: the schedule.
    ///   - timeZone: the zone of the expression's wall-clock fields; the process's current zone if
    ///     omitted.
    public init(_ expression: CronExpression, timeZone: TimeZone = .current) {
        self.expression = expression
        self.timeZone = timeZone
    }

    /// Creates a cron trigger whose dates are bounded.
    ///
    /// - Parameters:
    ///   - expression: the schedule.
    ///   - timeZone: the zone of the expression's wall-clock fields; the process's current zone if
    ///     omitted.
    ///   - start: the earliest date it may fire (inclusive).
    ///   - end: the latest date it may fire (inclusive).
    /// - Throws: ``TriggerError`` for `until` (`end`) before `startingAt`, as ``IntervalTrigger``
    ///   does: such a trigger would never fire.
    public init(
        _ expression: CronExpression, timeZone: TimeZone = .current, startingAt start: Date? = nil,
        until end: Date? = nil
    ) throws(TriggerError) {
        try TriggerError.checkBounds(start: start, end: end)
        self.expression = expression
        self.timeZone = timeZone
        self.start = start
        self.end = end
    }

    /// Decodes a cron trigger, checking it as the initializer does.
    ///
    /// - Throws: `DecodingError.dataCorrupted` whose description is the ``TriggerError`` for
    ///   `end` before `start`, or the expression's own decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = try TriggerError.rethrowingAsDecodingError(in: decoder) {
            try Self(
                try container.decode(CronExpression.self, forKey: .expression),
                timeZone: try container.decode(TimeZone.self, forKey: .timeZone),
                startingAt: try container.decodeIfPresent(Date.self, forKey: .start),
                until: try container.decodeIfPresent(Date.self, forKey: .end))
        }
    }

    /// Parses `text` and creates a cron trigger that fires on every date of the expression; see
    /// ``init(_:timeZone:)``.
    ///
    /// - Throws: `CronParseError` naming the field, token and position that are wrong.
    public init(_ text: String, timeZone: TimeZone = .current) throws(CronParseError) {
        self.init(try CronExpression(text), timeZone: timeZone)
    }

    /// Parses `text` and creates a cron trigger whose dates are bounded; see
    /// ``init(_:timeZone:startingAt:until:)``.
    ///
    /// - Throws: `CronParseError` naming the field, token and position that are wrong, or
    ///   ``TriggerError`` for `until` before `startingAt`.
    public init(_ text: String, timeZone: TimeZone = .current, startingAt start: Date? = nil, until end: Date? = nil) throws {
        try self.init(try CronExpression(text), timeZone: timeZone, startingAt: start, until: end)
    }

    /// The first date of the expression strictly after `after` and not before `start`, or `nil`
    /// past `end` (or if the expression has no further date).
    public func nextFireDate(after: Date) -> Date? {
        let next =
            if let start, after < start {
                expression.firstDate(atOrAfter: start, in: timeZone)
            } else {
                expression.nextDate(after: after, in: timeZone)
            }
        guard let next else { return nil }
        if let end, next > end { return nil }
        return next
    }

    var triggerDescription: TriggerDescription {
        .cron(expression: expression.description, timeZone: timeZone.identifier, start: start, end: end)
    }
}

extension TriggerDescription {
    static func makeCronTrigger(_ text: String, _ zone: String, _ start: Date?, _ end: Date?) throws(TriggerError) -> any Trigger {
        guard let timeZone = TimeZone(identifier: zone) else {
            throw TriggerError(parameter: "timeZone", reason: "unknown time zone identifier '\(zone)'")
        }
        let expression: CronExpression
        do {
            expression = try CronExpression(text)
        } catch {
            throw TriggerError(parameter: "expression", reason: error.description)
        }
        return try CronTrigger(expression, timeZone: timeZone, startingAt: start, until: end)
    }
}
