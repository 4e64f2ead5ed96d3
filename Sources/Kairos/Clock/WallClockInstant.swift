import Foundation

/// A point in wall-clock time: the `Instant` of ``SystemClock``, ``ManualClock`` and every
/// ``SchedulerClock``.
///
/// It is a `Date` seen as a clock instant: ``date`` and ``init(_:)`` convert both ways without
/// losing anything, because triggers, due dates and events in Kairos are all `Date`s and a due
/// date read back from a clock must compare equal to the one a trigger computed. Arithmetic with
/// `Duration` is done in `Date`'s precision (better than a microsecond for dates of this century).
///
/// ```swift
/// let start = clock.now.date
/// try await clock.sleep(for: .seconds(5))
/// print(start.duration(to: clock.now.date), clock.now.date)
/// ```
public struct WallClockInstant: InstantProtocol, Hashable, Sendable, CustomStringConvertible {
    /// The instant as a `Date`.
    public var date: Date

    /// The instant at `date`.
    public init(_ date: Date) {
        self.date = date
    }

    /// The instant `duration` after this one (before it, if `duration` is negative).
    public func advanced(by duration: Duration) -> WallClockInstant {
        WallClockInstant(date.addingTimeInterval(duration.timeInterval))
    }

    /// The duration from this instant to `other`; negative if `other` is earlier.
    public func duration(to other: WallClockInstant) -> Duration {
        .seconds(other.date.timeIntervalSince(date))
    }

    /// Whether `lhs` is earlier than `rhs`.
    public static func < (lhs: WallClockInstant, rhs: WallClockInstant) -> Bool {
        lhs.date < rhs.date
    }

    /// The date, in ISO 8601 form.
    public var description: String { date.description }
}
