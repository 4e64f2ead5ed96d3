import Foundation

/// What a store outside the ``Scheduler`` needs to schedule a described trigger the way a
/// scheduler does (`KairosPostgres` computes due dates in the database's time).
extension TriggerDescription {
    /// The description with an ``IntervalTrigger`` scheduled without a start anchored at `date`
    /// (also inside a jittered trigger), as a scheduler anchors it when the job is scheduled: its
    /// first fire one interval after `date` (``IntervalTrigger/anchored(at:)``).
    public func anchored(at date: Date) -> TriggerDescription {
        switch self {
        case let .interval(seconds, nil, end, repeatCount):
            return .interval(seconds: seconds, start: date.addingTimeInterval(seconds), end: end, repeatCount: repeatCount)
        case let .jittered(base, maxJitter):
            return .jittered(base.anchored(at: date), maxJitter: maxJitter)
        default:
            return self
        }
    }

    /// The first due date of a job with `trigger` scheduled at `now`, as a scheduler computes it:
    /// a one-shot's date even if it has passed (it is then handled as missed), otherwise the
    /// trigger's first date at or after `now`; `nil` for a trigger that never fires on its own.
    public static func firstDueDate(of trigger: any Trigger, scheduledAt now: Date) -> Date? {
        let reference = now.timeIntervalSinceReferenceDate
        return JobTimeline.firstDue(TriggerStorage(trigger, anchoredAt: reference), now: reference)
            .map(Date.init(timeIntervalSinceReferenceDate:))
    }
}
