/// Scheduler-wide figures, from ``Scheduler/stats``.
public struct SchedulerStats: Sendable, Hashable {
    /// Jobs known to the scheduler, finished ones still retained included.
    public var jobs: Int
    /// Jobs waiting in the queue for a due date.
    public var queuedJobs: Int
    /// Jobs that are paused.
    public var pausedJobs: Int
    /// Runs fired and not finished.
    public var activeRuns: Int
    /// Runs executing now (the rest of ``activeRuns`` wait for executor capacity). More than
    /// ``Scheduler/Configuration/maxConcurrentJobs`` only while runs that ``Scheduler/runNow(_:)``
    /// started from inside job bodies are going.
    public var executingRuns: Int
    /// Totals over all jobs since the scheduler was created (finished runs, failures, ...).
    public var totals: JobCounters
}
