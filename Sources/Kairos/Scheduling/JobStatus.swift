/// Where a job is in its life.
///
/// New states may be added in later versions: a `switch` over a status matches the static members
/// (`case .pending:`) and needs a `default:` case. Its `Codable` form is its ``rawValue``.
public struct JobStatus: RawRepresentable, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The states there are; Kairos switches over them exhaustively.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case pending, running, paused, completed, failed, cancelled
    }

    /// Which state this is.
    package let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// The state's name as in the source (`pending`, `running`, …): its stored form.
    public var rawValue: String { kind.rawValue }

    /// The state named `rawValue`, or `nil` for an unknown name.
    public init?(rawValue: String) {
        guard let kind = Kind(rawValue: rawValue) else { return nil }
        self.kind = kind
    }

    /// Every state, in declaration order.
    public static var allCases: [JobStatus] { Kind.allCases.map(JobStatus.init) }

    /// The state's name, as ``rawValue``.
    public var description: String { rawValue }

    /// Waiting for its next due date (or, for signal and manual triggers, for a signal or a
    /// ``Scheduler/runNow(_:)``).
    public static let pending = JobStatus(.pending)
    /// At least one run has been fired and has not finished (it may still wait for executor
    /// capacity).
    public static let running = JobStatus(.running)
    /// Paused by ``Scheduler/pause(_:)``: it does not fire until resumed.
    public static let paused = JobStatus(.paused)
    /// Finished: its trigger is exhausted or it reached `maxRuns`, and its last run did not fail.
    public static let completed = JobStatus(.completed)
    /// Finished: its trigger is exhausted or it reached `maxRuns`, and its last run failed or
    /// timed out.
    public static let failed = JobStatus(.failed)
    /// Cancelled by ``Scheduler/cancel(_:)``.
    public static let cancelled = JobStatus(.cancelled)

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
