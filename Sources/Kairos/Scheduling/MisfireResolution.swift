/// What the misfire rules decide for a job whose due dates passed without firing: a pure value
/// computed from the policy, the trigger's missed dates and the clock reading, which the
/// scheduler then applies (start and buffer the runs, count and report the dropped dates, queue
/// the next date). It touches no scheduler state, so the rules are tested as tables.
struct MisfireResolution: Equatable {
    /// The missed due dates that run, oldest first: the first fires through the overlap policy,
    /// the others are buffered behind it.
    var runs: [Double]
    /// How many missed due dates do not run.
    var droppedCount: Int
    /// The first and last of the dates that do not run (they span the dropped dates, which may
    /// have the running ones before or after them, never between); `nil` when none is dropped.
    var dropped: ClosedRange<Double>?
    /// The due date to queue next: the first after the last missed one, or after `now` if that
    /// has passed too; `nil` when the trigger has no further date.
    var next: Double?

    /// Whether a due date the scheduler reaches at `now` is missed: reached more than
    /// `threshold` seconds late, or due before `heldUntil` (the latest start of the scheduler or
    /// resume of the paused scheduler: it fell due while nothing could fire, however short that
    /// was).
    @inline(__always)
    static func isMissed(fireDate: Double, now: Double, threshold: Double, heldUntil: Double) -> Bool {
        now - fireDate > threshold || fireDate < heldUntil
    }

    /// Decides what happens to the due dates of `trigger` from `firstMissed` through `now`.
    ///
    /// Dates older than the policy's catch-up window are dropped; of those inside it, the mode
    /// picks the latest, the earliest or all of them (at most ``MissedDueDates/enumerationLimit``).
    init(policy: MisfirePolicy, trigger: TriggerStorage, firstMissed: Double, now: Double) {
        let cutoff = policy.catchUpWindowSeconds.map { now - $0 } ?? -.infinity
        let dates = MissedDueDates(trigger, first: firstMissed, through: now)
        let last = dates.last
        var firstInWindow: Double? = firstMissed >= cutoff ? firstMissed : dates.first(atOrAfter: cutoff)
        if let candidate = firstInWindow, candidate > last { firstInWindow = nil }
        var runs: [Double] = []
        if let firstInWindow {
            switch policy.mode.kind {
            case .runLatest: runs = [last]
            case .runEarliest: runs = [firstInWindow]
            case .runAll:
                var due: Double? = firstInWindow
                while let current = due, current <= last, runs.count < MissedDueDates.enumerationLimit {
                    runs.append(current)
                    due = dates.next(after: current)
                }
            }
        }
        self.runs = runs
        droppedCount = dates.count - runs.count
        if droppedCount > 0 {
            // The dates that ran are consecutive, at the start or the end of the missed ones.
            var firstDropped = firstMissed, lastDropped = last
            if let ran = runs.first, ran == firstMissed { firstDropped = dates.next(after: runs[runs.count - 1]) ?? last }
            if let ran = runs.last, ran == last { lastDropped = dates.previous(before: runs[0]) ?? firstDropped }
            dropped = firstDropped...max(lastDropped, firstDropped)
        } else {
            dropped = nil
        }
        var next = trigger.nextDue(after: last)
        if let candidate = next, candidate <= now { next = trigger.nextDue(after: now) }
        self.next = next
    }
}
