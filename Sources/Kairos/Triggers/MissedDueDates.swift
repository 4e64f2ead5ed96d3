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
        case cron(CronTrigger, ZoneOffsets)
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
            last = interval.lastIndex(atOrBefore: Date(timeIntervalSinceReferenceDate: end))
                .map { interval.date(ofIndex: $0).timeIntervalSinceReferenceDate }.map { max($0, first) } ?? first
        } else if case .boxed(let box) = trigger, let cron = box.base as? CronTrigger {
            let zone = ZoneOffsets.of(cron.timeZone)
            source = .cron(cron, zone)
            let bound = min(end, cron.end?.timeIntervalSinceReferenceDate ?? end)
            last = cron.expression.previousInstant(atOrBefore: Self.instant(bound), in: zone)
                .map { max(Self.date(ofInstant: $0), first) } ?? first
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
        case .cron(let cron, let zone):
            return 1 + cron.expression.fireCount(from: Self.instant(first) + 1, through: Self.instant(last), in: zone)
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
        case .cron(let cron, _):
            cron.nextFireDate(after: Date(timeIntervalSinceReferenceDate: date))?.timeIntervalSinceReferenceDate
        case .other(let trigger):
            trigger.nextDue(after: date)
        }
    }

    /// The first due date at or after `date`.
    func first(atOrAfter date: Double) -> Double? {
        guard case .cron = source else { return next(after: date.nextDown) }
        // In whole seconds: `date.nextDown` may round back to `date` on the way to cron's seconds
        // since 1970.
        guard let before = CronExpression.instant(Date(timeIntervalSinceReferenceDate: date), roundingUp: true) else { return nil }
        return next(after: Self.date(ofInstant: before))
    }

    /// The last due date before `date` and not before `first`.
    func previous(before date: Double) -> Double? {
        guard date > first else { return nil }
        switch source {
        case .interval(let interval):
            return max(first, interval.date(ofIndex: index(of: date, in: interval) - 1).timeIntervalSinceReferenceDate)
        case .cron(let cron, let zone):
            let previous = CronExpression.instant(Date(timeIntervalSinceReferenceDate: date), roundingUp: true)
                .flatMap { cron.expression.previousInstant(atOrBefore: $0, in: zone) }
            return max(first, previous.map(Self.date(ofInstant:)) ?? first)
        case .other(let trigger):
            var current = first
            while let next = trigger.nextDue(after: current), next < date { current = next }
            return current
        }
    }

    /// The index of the interval trigger's fire due at `date`, rounded to absorb the rounding of
    /// `start + index × interval`.
    private func index(of date: Double, in interval: IntervalTrigger) -> Double {
        ((date - interval.start!.timeIntervalSinceReferenceDate) / interval.interval).rounded()
    }

    /// The whole second (since 1970, as cron counts) containing `date`.
    private static func instant(_ date: Double) -> Int64 {
        Int64((date + Date.timeIntervalBetween1970AndReferenceDate).rounded(.down))
    }

    private static func date(ofInstant instant: Int64) -> Double {
        Double(instant) - Date.timeIntervalBetween1970AndReferenceDate
    }
}
