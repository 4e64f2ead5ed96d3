import Foundation

/// Fires at a fixed interval, anchored to its start so it never drifts.
///
/// Fire *k* (counting from 0) is due at `start + k × interval`, whatever the run times were: a
/// slow run delays nothing but itself. The optional `until` is inclusive, and `repeatCount` caps
/// the number of fire dates (fires 0 ..< repeatCount).
///
/// Without `startingAt`, the trigger is anchored when the job is scheduled, and its first fire is
/// one interval later (`every: .seconds(60)` first fires a minute after `schedule`).
///
/// ```swift
/// let trigger = try IntervalTrigger(every: .seconds(300), startingAt: midnight, repeatCount: 12)
/// ```
///
/// - Complexity: ``nextFireDate(after:)`` is O(1) (arithmetic, never a loop over past fires).
public struct IntervalTrigger: Trigger, Hashable, Codable {
    /// The time between two fire dates.
    public var interval: Duration { Duration(timeInterval: seconds) }
    /// ``interval`` in seconds, what the schedule arithmetic and the `Codable` form use.
    package private(set) var seconds: TimeInterval
    /// The instant of fire 0, or `nil` if the trigger is anchored when its job is scheduled.
    public private(set) var start: Date?
    /// The last instant at which the trigger may fire (inclusive), if any.
    public private(set) var end: Date?
    /// The total number of fire dates, if limited.
    public private(set) var repeatCount: Int?

    /// Creates an anchored interval trigger.
    ///
    /// - Parameters:
    ///   - interval: the time between fires; positive and finite.
    ///   - start: the instant of the first fire. `nil` anchors the trigger at the time the job is
    ///     scheduled, and then the first fire is one interval later.
    ///   - end: no fire is later than this instant.
    ///   - repeatCount: the total number of fires, at least 1.
    /// - Throws: ``TriggerError`` naming the parameter that is out of range.
    public init(every interval: Duration, startingAt start: Date? = nil, until end: Date? = nil, repeatCount: Int? = nil) throws(TriggerError) {
        try self.init(seconds: interval.timeInterval, start: start, end: end, repeatCount: repeatCount)
    }

    /// Creates an anchored interval trigger from an interval in seconds, the data form's (see
    /// ``TriggerDescription/interval(seconds:start:end:repeatCount:)``); validated as
    /// ``init(every:startingAt:until:repeatCount:)`` is, a non-finite interval being out of range too.
    package init(seconds interval: TimeInterval, start: Date? = nil, end: Date? = nil, repeatCount: Int? = nil) throws(TriggerError) {
        guard interval > 0, interval.isFinite else {
            throw TriggerError(parameter: "every", reason: "must be a positive, finite duration (got \(interval) s)")
        }
        if let repeatCount, repeatCount < 1 {
            throw TriggerError(parameter: "repeatCount", reason: "must be at least 1 (got \(repeatCount))")
        }
        try TriggerError.checkBounds(start: start, end: end)
        self.seconds = interval
        self.start = start
        self.end = end
        self.repeatCount = repeatCount
    }

    private enum CodingKeys: String, CodingKey {
        case seconds = "interval", start, end, repeatCount
    }

    /// Decodes an interval trigger, checking it as the initializer does.
    ///
    /// - Throws: `DecodingError.dataCorrupted` whose description is the ``TriggerError`` (a
    ///   non-positive interval, `repeatCount < 1`, `end` before `start`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = try TriggerError.rethrowingAsDecodingError(in: decoder) {
            try Self(
                seconds: try container.decode(TimeInterval.self, forKey: .seconds),
                start: try container.decodeIfPresent(Date.self, forKey: .start),
                end: try container.decodeIfPresent(Date.self, forKey: .end),
                repeatCount: try container.decodeIfPresent(Int.self, forKey: .repeatCount))
        }
    }

    /// The same trigger anchored so that its first fire is one interval after `date`; a trigger
    /// with an explicit start is returned unchanged.
    public func anchored(at date: Date) -> IntervalTrigger {
        guard start == nil else { return self }
        var copy = self
        copy.start = date.addingTimeInterval(seconds)
        return copy
    }

    /// The first fire date strictly later than `after`, or `nil` past `until` or `repeatCount`.
    ///
    /// An unanchored trigger (no start) behaves as if anchored one interval after `after`.
    public func nextFireDate(after: Date) -> Date? {
        guard let start else { return check(index: 0, date: after.addingTimeInterval(seconds)) }
        let elapsed = after.timeIntervalSince(start)
        var index: Double = elapsed < 0 ? 0 : (elapsed / seconds).rounded(.down) + 1
        if index > 0, start.addingTimeInterval((index - 1) * seconds) > after { index -= 1 }
        var date = start.addingTimeInterval(index * seconds)
        if date <= after {
            index += 1
            date = start.addingTimeInterval(index * seconds)
        }
        return check(index: index, date: date)
    }

    /// The index of the fire due at `date` or the last one before it, or `nil` if none.
    func lastIndex(atOrBefore date: Date) -> Double? {
        guard let start, date >= start else { return nil }
        var index = (date.timeIntervalSince(start) / seconds).rounded(.down)
        if start.addingTimeInterval(index * seconds) > date { index -= 1 }
        if let repeatCount { index = min(index, Double(repeatCount - 1)) }
        if let end, start.addingTimeInterval(index * seconds) > end {
            index = (end.timeIntervalSince(start) / seconds).rounded(.down)
            if start.addingTimeInterval(index * seconds) > end { index -= 1 }
        }
        return index >= 0 ? index : nil
    }

    /// The due date of fire `index`.
    func date(ofIndex index: Double) -> Date { (start ?? .distantPast).addingTimeInterval(index * seconds) }

    private func check(index: Double, date: Date) -> Date? {
        if let repeatCount, index >= Double(repeatCount) { return nil }
        if let end, date > end { return nil }
        return date
    }
}
