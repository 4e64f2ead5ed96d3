import Foundation

/// A built-in trigger as plain data: what `PersistentScheduler` stores, and what
/// ``Scheduler/job(_:)`` reports.
///
/// Only the triggers that ship with Kairos can be described: a custom ``Trigger`` has no
/// description (``init(_:)`` returns `nil`), so a job that uses one cannot be persisted.
///
/// ```swift
/// let stored = TriggerDescription(try IntervalTrigger(every: .seconds(60), startingAt: start))!
/// let data = try JSONEncoder().encode(stored)
/// let trigger = try JSONDecoder().decode(TriggerDescription.self, from: data).makeTrigger()
/// ```
///
/// The data form keeps seconds, as stored: the interval and the jitter are `TimeInterval`s
/// (numbers of seconds) here, unlike the triggers' `Duration`s, so that state files written
/// before the API moved to `Duration` still load. Time zones are stored as IANA identifiers.
public indirect enum TriggerDescription: Sendable, Hashable, Codable {
    /// ``OnceTrigger``.
    case once(at: Date)
    /// ``IntervalTrigger``, its interval in seconds; `start` is `nil` only for a trigger not yet
    /// anchored by a scheduler.
    case interval(seconds: TimeInterval, start: Date?, end: Date?, repeatCount: Int?)
    /// `CronTrigger`: the expression's text and the time zone's identifier.
    case cron(expression: String, timeZone: String, start: Date?, end: Date?)
    /// ``SignalTrigger``. (Its `Codable` key is `event`, as before the rename.)
    case signal(key: String)
    /// ``ManualTrigger``.
    case manual
    /// ``JitteredTrigger`` around another built-in trigger, its `maxJitter` in seconds.
    case jittered(TriggerDescription, maxJitter: TimeInterval)

    /// The coded names of the cases: `signal` keeps the name `event` it was stored under.
    private enum CodingKeys: String, CodingKey {
        case once, interval, cron, signal = "event", manual, jittered
    }

    /// Describes a built-in trigger, or returns `nil` for a custom one.
    public init?(_ trigger: any Trigger) {
        switch trigger {
        case let once as OnceTrigger:
            self = .once(at: once.date)
        case let interval as IntervalTrigger:
            self = .interval(seconds: interval.seconds, start: interval.start, end: interval.end, repeatCount: interval.repeatCount)
        case let signal as SignalTrigger:
            self = .signal(key: signal.key)
        case is ManualTrigger:
            self = .manual
        case let jittered as JitteredTrigger:
            guard let base = TriggerDescription(jittered.base) else { return nil }
            self = .jittered(base, maxJitter: jittered.maxJitterSeconds)
        default:
            guard let described = (trigger as? any DescribableTrigger)?.triggerDescription else { return nil }
            self = described
        }
    }

    /// Rebuilds the trigger.
    ///
    /// - Throws: ``TriggerError`` if a stored value is out of range (a non-positive interval, an
    ///   unknown time zone, a cron expression that no longer parses).
    public func makeTrigger() throws(TriggerError) -> any Trigger {
        switch self {
        case .once(let date):
            return OnceTrigger(at: date)
        case let .interval(seconds, start, end, repeatCount):
            return try IntervalTrigger(seconds: seconds, start: start, end: end, repeatCount: repeatCount)
        case let .cron(expression, timeZone, start, end):
            return try TriggerDescription.makeCronTrigger(expression, timeZone, start, end)
        case .signal(let key):
            return SignalTrigger(key: key)
        case .manual:
            return ManualTrigger()
        case let .jittered(base, maxJitter):
            guard maxJitter >= 0, maxJitter <= 1e15 else {
                throw TriggerError(parameter: "maxJitter", reason: "must be from 0 to 10^15 seconds (got \(maxJitter) s)")
            }
            return try JitteredTrigger(try base.makeTrigger(), maxJitter: .seconds(maxJitter))
        }
    }
}

/// A built-in trigger type defined in another file that knows its own description.
protocol DescribableTrigger: Trigger {
    var triggerDescription: TriggerDescription { get }
}
