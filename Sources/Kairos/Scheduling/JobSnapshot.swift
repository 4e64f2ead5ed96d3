import Foundation

/// A consistent picture of one job at one instant, from ``Scheduler/job(_:)``.
public struct JobSnapshot: Sendable {
    /// The job's ID.
    public var id: JobID
    /// The job's name.
    public var name: String
    /// Where the job is in its life.
    public var status: JobStatus
    /// The job's trigger (an ``IntervalTrigger`` scheduled without a start reports its anchor).
    public var trigger: any Trigger
    /// The trigger as data, or `nil` for a custom trigger.
    public var triggerDescription: TriggerDescription? { TriggerDescription(trigger) }
    /// The options the job was scheduled with, with the scheduler's defaults filled in.
    public var options: JobOptions
    /// What happened to the job so far.
    public var counters: JobCounters
    /// The number of finished runs (``JobCounters/runs``).
    public var runCount: Int { counters.runs }
    /// The due date of the latest fired run, if any.
    public var lastDueDate: Date?
    /// When the latest run started, if any.
    public var lastStartDate: Date?
    /// The next due date (nominal, before jitter); `nil` if the job is finished, event- or
    /// manually-triggered, or its trigger is exhausted.
    public var nextFireDate: Date?
    /// How the latest finished run ended.
    public var lastOutcome: RunOutcome?
    /// How long the latest finished run took, on the scheduler's clock.
    public var lastDuration: Duration?
    /// Runs fired and not finished.
    public var activeRuns: Int
    /// Fires waiting for the current run to finish (``OverlapPolicy/bufferOne``,
    /// ``OverlapPolicy/bufferAll(limit:)``, ``MisfirePolicy/Mode/runAll``).
    public var bufferedRuns: Int
    /// Whether the job is paused (its status is then `.paused` unless a run is still going).
    public var isPaused: Bool
    /// Grows with every change to the job; a snapshot with a higher version is newer.
    public var version: UInt64

    /// The value the latest finished run returned, if it succeeded.
    public var lastResult: (any Sendable)? { lastOutcome?.value }
    /// The error the latest finished run threw, if it failed.
    public var lastError: (any Error)? { lastOutcome?.error }
}
