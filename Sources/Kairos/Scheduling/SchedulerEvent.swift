import Foundation

/// Something that happened in a scheduler, delivered by ``Scheduler/events`` and to the handlers
/// added with ``Scheduler/onEvent(_:)``.
///
/// ```swift
/// for await event in scheduler.events where event.kind == .failed {
///     log.error("\(event.jobName) failed: \(event.error!)")
/// }
/// ```
public struct SchedulerEvent: Sendable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A job was added.
        case scheduled
        /// A due date fired: a run was created and queued for the executor.
        case fired
        /// A run started executing.
        case started
        /// A run returned; ``SchedulerEvent/result`` holds the value.
        case succeeded
        /// A run threw; ``SchedulerEvent/error`` holds the error.
        case failed
        /// A run exceeded its timeout and was cancelled.
        case timedOut
        /// A run was cancelled and ended by throwing `CancellationError`, or was cancelled before
        /// it started (then withdrawn: no run, no ``SchedulerEvent/duration``).
        case runCancelled
        /// Due dates passed without running (misfire policy, or an event posted while paused or
        /// stopped): ``SchedulerEvent/count`` says how many, ``SchedulerEvent/missedDueDates`` spans
        /// the first to the last of them and ``SchedulerEvent/dueDate`` is the first. A missed date
        /// that the policy runs is not among them: its ``fired`` event follows, with its due date.
        case missed
        /// A fire was dropped because a run was going.
        case overlapSkipped
        /// A buffered fire was dropped.
        case bufferDropped
        /// The job was paused.
        case paused
        /// The job was resumed.
        case resumed
        /// The job's trigger was replaced.
        case rescheduled
        /// The job finished: trigger exhausted or `maxRuns` reached.
        case completed
        /// The job was cancelled.
        case cancelled
    }

    /// What happened.
    public var kind: Kind
    /// The job it happened to.
    public var jobID: JobID
    /// The job's name.
    public var jobName: String
    /// The due date of the run concerned, if any; for `missed`, the first due date that did not run.
    public var dueDate: Date?
    /// For `missed`: the first and the last of the due dates that did not run (``count`` of them;
    /// a date between the two that the misfire policy ran is not counted). `nil` for other kinds.
    public var missedDueDates: ClosedRange<Date>?
    /// When it happened, on the scheduler's clock.
    public var date: Date
    /// How long the run took (`succeeded`, `failed`, `timedOut`, `runCancelled`).
    public var duration: Duration?
    /// The value the run returned (`succeeded`).
    public var result: (any Sendable)?
    /// The error the run threw (`failed`).
    public var error: (any Error)?
    /// How many due dates (`missed`, `overlapSkipped`, `bufferDropped`); 1 otherwise.
    public var count: Int

    init(
        kind: Kind, jobID: JobID, jobName: String, dueDate: Date? = nil, date: Date,
        duration: Duration? = nil, result: (any Sendable)? = nil, error: (any Error)? = nil, count: Int = 1,
        missedDueDates: ClosedRange<Date>? = nil
    ) {
        self.kind = kind
        self.jobID = jobID
        self.jobName = jobName
        self.dueDate = dueDate
        self.date = date
        self.duration = duration
        self.result = result
        self.error = error
        self.count = count
        self.missedDueDates = missedDueDates
    }
}
