import Foundation

/// A trigger already converted to the scheduler's stored form, which any number of jobs can
/// share: scheduling a job with it stores that form as is, without unwrapping (dynamic casts)
/// or boxing the trigger again. Restoring 100,000 persisted jobs that use a few dozen distinct
/// triggers builds each of them once.
///
/// The stored form is immutable, so sharing it between jobs is the same as giving each job an
/// equal trigger. An interval trigger without a start is anchored when the shared trigger is
/// made, not when each job is scheduled.
struct SharedTrigger: Trigger {
    let storage: TriggerStorage

    func nextFireDate(after date: Date) -> Date? {
        storage.trigger.nextFireDate(after: date)
    }
}

extension Scheduler {
    /// `trigger` in the stored form this scheduler's jobs can share, anchored at the clock's
    /// current time if it needs an anchor.
    func sharedTrigger(_ trigger: any Trigger) -> SharedTrigger {
        SharedTrigger(storage: TriggerStorage(trigger, anchoredAt: core.now))
    }
}
