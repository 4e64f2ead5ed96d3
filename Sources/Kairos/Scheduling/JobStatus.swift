/// Where a job is in its life.
public enum JobStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its next due date (or, for signal and manual triggers, for a signal or a
    /// ``Scheduler/runNow(_:)``).
    case pending
    /// At least one run has been fired and has not finished (it may still wait for executor
    /// capacity).
    case running
    /// Paused by ``Scheduler/pause(_:)``: it does not fire until resumed.
    case paused
    /// Finished: its trigger is exhausted or it reached `maxRuns`, and its last run did not fail.
    case completed
    /// Finished: its trigger is exhausted or it reached `maxRuns`, and its last run failed or
    /// timed out.
    case failed
    /// Cancelled by ``Scheduler/cancel(_:)``.
    case cancelled

    /// Whether the job will never fire again (completed, failed or cancelled).
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// How many times things happened to a job.
public struct JobCounters: Sendable, Hashable, Codable {
    /// Runs that finished, whatever their outcome.
    public var runs: Int = 0
    /// Runs that threw an error.
    public var failures: Int = 0
    /// Runs that exceeded the job's timeout.
    public var timeouts: Int = 0
    /// Due dates that passed and did not run (misfire policy).
    public var missed: Int = 0
    /// Fires dropped because a run was going (``OverlapPolicy/skip``, ``OverlapPolicy/allowAll(limit:)``).
    public var overlapSkipped: Int = 0
    /// Buffered fires dropped (``OverlapPolicy/bufferOne``, ``OverlapPolicy/bufferAll(limit:)``).
    public var bufferDropped: Int = 0

    /// All counters zero.
    public init() {}

    /// Creates counters with the given values.
    public init(runs: Int = 0, failures: Int = 0, timeouts: Int = 0, missed: Int = 0, overlapSkipped: Int = 0, bufferDropped: Int = 0) {
        self.runs = runs
        self.failures = failures
        self.timeouts = timeouts
        self.missed = missed
        self.overlapSkipped = overlapSkipped
        self.bufferDropped = bufferDropped
    }
}
