import Foundation
import Kairos

/// One job of a ``ScheduleBackend`` as the API shows it: its trigger and options, where it is
/// in its life, and what its runs did.
public struct ScheduleState: Sendable {
    /// The job's ID.
    public var jobID: JobID
    /// Where the job is in its life (`running` while a run is going).
    public var status: JobStatus
    /// The job's trigger as data; `nil` for a custom trigger, which the API can show but not
    /// change.
    public var trigger: TriggerDescription?
    /// The job's options.
    public var options: JobOptions
    /// Whether the job is paused (its status may still say `running` while a run finishes).
    public var isPaused: Bool
    /// What has happened to the job so far (a cluster store's counters are the cluster's).
    public var counters: JobCounters
    /// Runs going now (on every node, for a cluster store).
    public var activeRuns: Int
    /// The due date of the latest run started, if any.
    public var lastDueDate: Date?
    /// When the latest finished run started, if any.
    public var lastStartDate: Date?
    /// How long the latest finished run took, if known.
    public var lastDuration: Duration?
    /// How the latest finished run ended.
    public var lastOutcome: RunRecord.Outcome?
    /// Why the latest finished run failed.
    public var lastError: String?

    /// Creates a job's state; see each property.
    public init(
        jobID: JobID, status: JobStatus, trigger: TriggerDescription?, options: JobOptions, isPaused: Bool,
        counters: JobCounters, activeRuns: Int, lastDueDate: Date? = nil, lastStartDate: Date? = nil,
        lastDuration: Duration? = nil, lastOutcome: RunRecord.Outcome? = nil, lastError: String? = nil
    ) {
        self.jobID = jobID
        self.status = status
        self.trigger = trigger
        self.options = options
        self.isPaused = isPaused
        self.counters = counters
        self.activeRuns = activeRuns
        self.lastDueDate = lastDueDate
        self.lastStartDate = lastStartDate
        self.lastDuration = lastDuration
        self.lastOutcome = lastOutcome
        self.lastError = lastError
    }
}
