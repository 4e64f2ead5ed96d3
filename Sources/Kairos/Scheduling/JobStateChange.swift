import Foundation

/// A change to one job, reported synchronously to the observer installed with
/// `Scheduler.observeStateChanges(_:)`: the hook `PersistentScheduler` uses to make scheduler-driven
/// changes (fires, finished runs, completions) durable.
///
/// The observer is called on the thread that made the change (the scheduler thread, a worker, or
/// the caller of an API method, before that method returns), after the scheduler's lock is
/// released. Changes to different jobs may be reported concurrently; the snapshot's
/// ``JobSnapshot/version`` orders the changes of one job (keep the highest).
package struct JobStateChange: Sendable {
    /// What happened (the same vocabulary as the public events).
    package var kind: SchedulerEvent.Kind
    /// The due date concerned (fired, finished, missed, skipped), if any.
    package var dueDate: Date?
    /// How the run ended, for `succeeded`, `failed`, `timedOut` and `runCancelled`.
    package var outcome: RunOutcome?
    /// The job after the change.
    package var snapshot: JobSnapshot
}

/// The state of a job being restored by `PersistentScheduler` after a restart.
///
/// Due dates after `lastDueDate` (or from `nextDueDate`) that passed while the process was down
/// go through the job's misfire policy when the scheduler starts.
package struct RestoredJobState: Sendable {
    /// The counters to continue from.
    package var counters: JobCounters
    /// Runs fired before the restart. Runs that were in flight at a crash run again
    /// (at-least-once), so `maxRuns` counts from `counters.runs`; this is kept for the record.
    package var firedRuns: Int
    /// The due date of the latest run fired before the restart.
    package var lastDueDate: Date?
    /// The next due date recorded before the restart; if `nil`, it is computed from
    /// `lastDueDate` (or from now, if that is `nil` too).
    package var nextDueDate: Date?
    /// Restore the job paused.
    package var isPaused: Bool
    /// Restore the job as finished (completed, failed or cancelled are kept queryable, never run).
    package var finishedStatus: JobStatus?

    /// Describes restored state; every part is optional.
    package init(
        counters: JobCounters = JobCounters(), firedRuns: Int? = nil, lastDueDate: Date? = nil,
        nextDueDate: Date? = nil, isPaused: Bool = false, finishedStatus: JobStatus? = nil
    ) {
        self.counters = counters
        self.firedRuns = firedRuns ?? counters.runs
        self.lastDueDate = lastDueDate
        self.nextDueDate = nextDueDate
        self.isPaused = isPaused
        self.finishedStatus = finishedStatus
    }
}
