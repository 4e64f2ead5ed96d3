import Foundation

/// Which of a trigger's missed due dates run under a ``MisfirePolicy``, how many are dropped, and
/// the next due date after them: the scheduler's misfire rule as a value, so that a store shared
/// by many processes (`KairosPostgres`) applies exactly the rule a ``Scheduler`` applies.
///
/// ```swift
/// let selection = MisfireSelection(trigger: trigger, firstMissed: storedNextDue, now: databaseNow, policy: policy)
/// for due in selection.dueDatesToRun { insertSlot(due) }
/// missedCounter += selection.missedCount
/// storedNextDue = selection.nextDueDate
/// ```
///
/// Missed dates are counted without visiting each one for ``IntervalTrigger`` and ``CronTrigger``
/// (see ``MisfirePolicy``).
public struct MisfireSelection: Sendable, Hashable {
    /// The missed due dates that run, oldest first: none, one (``MisfirePolicy/Mode/runLatest``,
    /// ``MisfirePolicy/Mode/runEarliest``) or each one inside the catch-up window
    /// (``MisfirePolicy/Mode/runAll``, at most `limit` of them).
    public var dueDatesToRun: [Date] { dueDates.map(Date.init(timeIntervalSinceReferenceDate:)) }
    /// How many missed due dates do not run (older than the catch-up window, or not selected by
    /// the mode); the caller counts them as missed.
    public var missedCount: Int
    /// The first and last of the dropped due dates, when ``missedCount`` is positive (the selected
    /// ones are consecutive, so the dropped ones lie in this span).
    public var missedSpan: ClosedRange<Date>? { droppedSpan.map { Date(timeIntervalSinceReferenceDate: $0.lowerBound)...Date(timeIntervalSinceReferenceDate: $0.upperBound) } }
    /// The trigger's first due date after `now`, or, when ``MisfirePolicy/Mode/runAll`` selected
    /// more than `limit` dates, the first one not returned (the caller materialises it next);
    /// `nil` if the trigger is exhausted.
    public var nextDueDate: Date? { next.map(Date.init(timeIntervalSinceReferenceDate:)) }

    /// ``dueDatesToRun`` in seconds since the reference date.
    let dueDates: [Double]
    let droppedSpan: ClosedRange<Double>?
    let next: Double?

    /// Whether a due date the scheduler reaches at `now` is missed: reached more than `threshold`
    /// seconds late, or due before `heldUntil` (the latest start of the scheduler or resume of the
    /// paused scheduler: it fell due while nothing could fire, however short that was).
    @inline(__always)
    static func isMissed(fireDate: Double, now: Double, threshold: Double, heldUntil: Double) -> Bool {
        now - fireDate > threshold || fireDate < heldUntil
    }

    /// Selects the missed due dates of `trigger` from `firstMissed` (a due date at or before `now`)
    /// through `now` that run under `policy`.
    ///
    /// - Parameters:
    ///   - trigger: the job's trigger, anchored (an ``IntervalTrigger`` with its start).
    ///   - firstMissed: the first due date that did not fire.
    ///   - now: the instant the misfire is handled; the catch-up window ends there.
    ///   - policy: the job's misfire policy.
    ///   - limit: the most dates ``dueDatesToRun`` returns; later ones in the window are left for
    ///     the next call (``nextDueDate``).
    public init(trigger: any Trigger, firstMissed: Date, now: Date, policy: MisfirePolicy, limit: Int = .max) {
        let storage = TriggerStorage(trigger, anchoredAt: now.timeIntervalSinceReferenceDate)
        self.init(
            storage, firstMissed: firstMissed.timeIntervalSinceReferenceDate, now: now.timeIntervalSinceReferenceDate,
            policy: policy, limit: limit)
    }

    init(_ trigger: TriggerStorage, firstMissed: Double, now: Double, policy: MisfirePolicy, limit: Int = .max) {
        let cutoff = policy.catchUpWindowSeconds.map { now - $0 } ?? -.infinity
        let dates = MissedDueDates(trigger, first: firstMissed, through: now)
        let last = dates.last
        var firstInWindow: Double? = firstMissed >= cutoff ? firstMissed : dates.first(atOrAfter: cutoff)
        if let candidate = firstInWindow, candidate > last { firstInWindow = nil }
        var selected: [Double] = []
        var truncatedAt: Double?
        if let firstInWindow {
            switch policy.mode.kind {
            case .runLatest: selected = [last]
            case .runEarliest: selected = [firstInWindow]
            case .runAll:
                var due: Double? = firstInWindow
                let cap = min(max(1, limit), MissedDueDates.enumerationLimit)
                while let current = due, current <= last {
                    guard selected.count < cap else {
                        // Past the enumeration limit the rest is dropped, as a scheduler does.
                        if cap < MissedDueDates.enumerationLimit { truncatedAt = current }
                        break
                    }
                    selected.append(current)
                    due = dates.next(after: current)
                }
            }
        }
        var dropped = dates.count - selected.count
        if let truncatedAt {
            // The dates after the returned ones are not dropped: they run at the next call.
            dropped -= MissedDueDates(trigger, first: truncatedAt, through: last).count
        }
        var span: ClosedRange<Double>?
        if dropped > 0 {
            var firstDropped = firstMissed, lastDropped = last
            if let ran = selected.first, ran == firstMissed { firstDropped = dates.next(after: selected[selected.count - 1]) ?? last }
            if let ran = selected.last, ran == last || truncatedAt != nil { lastDropped = dates.previous(before: selected[0]) ?? firstDropped }
            span = firstDropped...max(firstDropped, lastDropped)
        }
        self.dueDates = selected
        self.missedCount = max(0, dropped)
        self.droppedSpan = span
        if let truncatedAt {
            self.next = truncatedAt
        } else {
            var next = trigger.nextDue(after: last)
            if let candidate = next, candidate <= now { next = trigger.nextDue(after: now) }
            self.next = next
        }
    }
}
