/// How a job runs: limits, priority, policies and timeout.
///
/// Every property has a default, so `JobOptions()` is a plain recurring job; write only what
/// differs:
///
/// ```swift
/// try scheduler.schedule(name: "sync", trigger: trigger,
///                        options: JobOptions(maxRuns: 10, overlap: .bufferOne, timeout: .seconds(30))) { _ in
///     try await sync()
/// }
/// ```
public struct JobOptions: Sendable, Hashable {
    /// The job completes after this many runs (scheduled and ``Scheduler/runNow(_:)`` runs alike);
    /// `nil` for no limit. Must be at least 1. Once the runs fired reach it, `runNow` throws
    /// ``SchedulerError/maxRunsReached(_:maxRuns:)``; a run cancelled before it started does not
    /// count.
    public var maxRuns: Int?
    /// Among runs due at the same instant, higher priorities are fired and started first.
    public var priority: Int
    /// What to do when the job comes due while a run is going; `nil` uses the scheduler's default.
    public var overlap: OverlapPolicy?
    /// What to do with due dates that passed without firing; `nil` uses the scheduler's default.
    public var misfire: MisfirePolicy?
    /// A run still going after this long is cancelled (cooperatively) and recorded as timed out;
    /// `nil` for no timeout. Must be positive.
    public var timeout: Duration?
    /// Also run once when the scheduler starts (or at once, if it is running when the job is
    /// scheduled), in addition to the trigger's fires.
    public var runOnStart: Bool
    /// Create the job paused; it fires only after ``Scheduler/resume(_:catchingUp:)``.
    public var startPaused: Bool

    /// Creates job options; see each property.
    public init(
        maxRuns: Int? = nil,
        priority: Int = 0,
        overlap: OverlapPolicy? = nil,
        misfire: MisfirePolicy? = nil,
        timeout: Duration? = nil,
        runOnStart: Bool = false,
        startPaused: Bool = false
    ) {
        self.maxRuns = maxRuns
        self.priority = priority
        self.overlap = overlap
        self.misfire = misfire
        self.timeout = timeout
        self.runOnStart = runOnStart
        self.startPaused = startPaused
    }
}
