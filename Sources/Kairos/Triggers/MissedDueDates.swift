import Foundation

/// The due dates of a trigger from its first missed one up to a moment, for misfire handling:
/// counted and picked without visiting each one where the trigger allows it — by arithmetic for an
/// ``IntervalTrigger``, a day at a time for a ``CronTrigger`` — and one by one, at most
/// ``enumerationLimit`` of them, for any other trigger.
///
/// Dates are seconds since the reference date, as in the scheduler's records.
struct MissedDueDates {
    private enum Source {
        case interval(IntervalTrigger)
        case cron(CronTrigger)
        case other(TriggerStorage)
    }

    /// The most due dates counted one by one; later ones are skipped uncounted.
    static let enumerationLimit = 1_000_000

    private let source: Source
    /// The first missed due date.
    let first: Double
    /// The last due date at or before the end (at least `first`).
    let last: Double

    /// The due dates of `trigger` from `first` (a due date that passed) through `end`.
    init(_ trigger: TriggerStorage, first: Double, through end: Double) {
        self.first = first
        if case .boxed(let box) = trigger, let interval = box.base as? IntervalTrigger, interval.start != nil {
            source = .interval(interval)
            last =
                interval.lastIndex(atOrBefore: Date(timeIntervalSinceReferenceDate: end))
                .map { interval.date(ofIndex: $0).timeIntervalSinceReferenceDate }.map { max($0, first) } ?? first
        } else if case .boxed(let box) = trigger, let cron = box.base as? CronTrigger {
            source = .cron(cron)
            let bound = min(end, cron.end?.timeIntervalSinceReferenceDate ?? end)
            last =
                cron.expression.previousDate(before: Self.wholeSecondAfter(bound), in: cron.timeZone)
                .map { max($0.timeIntervalSinceReferenceDate, first) } ?? first
        } else {
            source = .other(trigger)
            var last = first
            var counted = 1
            while counted < Self.enumerationLimit, let next = trigger.nextDue(after: last), next <= end {
                last = next
                counted += 1
            }
            self.last = last
        }
    }

    /// How many due dates there are from `first` through `last`.
    var count: Int {
        switch source {
        case .interval(let interval):
            return Int(index(of: last, in: interval) - index(of: first, in: interval)) + 1
        case .cron(let cron):
            return 1
                + cron.expression.fireDateCount(
                    after: Date(timeIntervalSinceReferenceDate: first),
                    through: Date(timeIntervalSinceReferenceDate: last), in: cron.timeZone)
        case .other(let trigger):
            var count = 1
            var current = first
            while current < last, let next = trigger.nextDue(after: current) {
                count += 1
                current = next
            }
            return count
        }
    }

    /// The first due date after `date`.
    func next(after date: Double) -> Double? {
        switch source {
        case .interval(let interval):
            interval.nextFireDate(after: Date(timeIntervalSinceReferenceDate: date))?.timeIntervalSinceReferenceDate
        case .cron(let cron):
            cron.nextFireDate(after: Date(timeIntervalSinceReferenceDate: date))?.timeIntervalSinceReferenceDate
        case .other(let trigger):
            trigger.nextDue(after: date)
        }
    }

    /// The first due date at or after `date`.
    func first(atOrAfter date: Double) -> Double? {
        next(after: date.nextDown)
    }

    /// The last due date before `date` and not before `first`.
    func previous(before date: Double) -> Double? {
        guard date > first else { return nil }
        switch source {
        case .interval(let interval):
            return max(first, interval.date(ofIndex: index(of: date, in: interval) - 1).timeIntervalSinceReferenceDate)
        case .cron(let cron):
            let previous = cron.expression.previousDate(before: Date(timeIntervalSinceReferenceDate: date), in: cron.timeZone)
            return max(first, previous?.timeIntervalSinceReferenceDate ?? first)
        case .other(let trigger):
            var current = first
            while let next = trigger.nextDue(after: current), next < date { current = next }
            return current
        }
    }

    /// The index of the interval trigger's fire due at `date`, rounded to absorb the rounding of
    /// `start + index × interval`.
    private func index(of date: Double, in interval: IntervalTrigger) -> Double {
        ((date - interval.start!.timeIntervalSinceReferenceDate) / interval.seconds).rounded()
    }

    /// The start of the whole second (since 1970, as cron counts) after the one containing `date`.
    private static func wholeSecondAfter(_ date: Double) -> Date {
        // Rounded in seconds since 2001, which differ from seconds since 1970 by whole seconds.
        Date(timeIntervalSinceReferenceDate: date.rounded(.down) + 1)
    }
}
