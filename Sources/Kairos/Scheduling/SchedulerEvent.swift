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
    ///
    /// New kinds may be added in later versions: a `switch` over a kind matches the static members
    /// (`case .fired:`) and needs a `default:` case. Its ``rawValue`` is its name (`fired`).
    public struct Kind: RawRepresentable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The kinds there are; Kairos switches over them exhaustively.
        package enum Name: String, Sendable, Hashable, CaseIterable {
            case scheduled, fired, started, succeeded, failed, timedOut, runCancelled, missed, overlapSkipped
            case bufferDropped, paused, resumed, rescheduled, completed, cancelled
        }

        /// Which kind this is.
        package let name: Name

        private init(_ name: Name) { self.name = name }

        /// The kind's name as in the source (`fired`, `runCancelled`, …).
        public var rawValue: String { name.rawValue }

        /// The kind named `rawValue`, or `nil` for an unknown name.
        public init?(rawValue: String) {
            guard let name = Name(rawValue: rawValue) else { return nil }
            self.name = name
        }

        /// Every kind, in declaration order.
        public static var allCases: [Kind] { Name.allCases.map(Kind.init) }

        /// The kind's name, as ``rawValue``.
        public var description: String { rawValue }

        /// A job was added.
        public static let scheduled = Kind(.scheduled)
        /// A due date fired: a run was created and queued for the executor.
        public static let fired = Kind(.fired)
        /// A run started executing.
        public static let started = Kind(.started)
        /// A run returned; ``SchedulerEvent/result`` holds the value.
        public static let succeeded = Kind(.succeeded)
        /// A run threw; ``SchedulerEvent/error`` holds the error.
        public static let failed = Kind(.failed)
        /// A run exceeded its timeout and was cancelled.
        public static let timedOut = Kind(.timedOut)
        /// A run was cancelled and ended by throwing `CancellationError`, or was cancelled before
        /// it started (then withdrawn: no run, no ``SchedulerEvent/duration``).
        public static let runCancelled = Kind(.runCancelled)
        /// Due dates passed without running (misfire policy, or an event posted while paused or
        /// stopped): ``SchedulerEvent/count`` says how many, ``SchedulerEvent/missedDueDates`` spans
        /// the first to the last of them and ``SchedulerEvent/dueDate`` is the first. A missed date
        /// that the policy runs is not among them: its ``fired`` event follows, with its due date.
        public static let missed = Kind(.missed)
        /// A fire was dropped because a run was going.
        public static let overlapSkipped = Kind(.overlapSkipped)
        /// A buffered fire was dropped.
        public static let bufferDropped = Kind(.bufferDropped)
        /// The job was paused.
        public static let paused = Kind(.paused)
        /// The job was resumed.
        public static let resumed = Kind(.resumed)
        /// The job's trigger was replaced.
        public static let rescheduled = Kind(.rescheduled)
        /// The job finished: trigger exhausted or `maxRuns` reached.
        public static let completed = Kind(.completed)
        /// The job was cancelled.
        public static let cancelled = Kind(.cancelled)
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
