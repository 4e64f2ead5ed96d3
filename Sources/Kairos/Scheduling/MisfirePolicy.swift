/// What happens to due dates that passed without the job firing: while the scheduler was stopped
/// or paused, while the job was paused, or while the process was down (`PersistentScheduler`).
///
/// A due date is *missed* when it fell due while nothing could fire it — before
/// ``Scheduler/start()`` (not started yet, stopped, or the process down), while the scheduler was
/// paused, or while the job was paused (and it is resumed catching up) — however short that was;
/// and, while the scheduler runs, when it reaches the date more than
/// ``Scheduler/Configuration/misfireThreshold`` late (the clock jumped, the thread was held up). Missed due dates older than the catch-up window are dropped; of
/// those inside it, ``mode`` decides which run. Every missed due date that does not run is counted
/// in ``JobCounters/missed``; together they are reported in one ``SchedulerEvent/Kind/missed`` event
/// (``SchedulerEvent/count``, ``SchedulerEvent/missedDueDates``).
///
/// Missed dates are counted without visiting each one for ``IntervalTrigger`` and ``CronTrigger``
/// (a per-second cron job down for a month is 2.6 million dates, counted in a few dozen steps);
/// other triggers are enumerated, up to a million dates per catch-up.
///
/// ```swift
/// // Run the latest missed fire of the last hour; drop the rest.
/// let options = JobOptions(misfire: MisfirePolicy(catchUpWindow: .seconds(3600), mode: .runLatest))
/// ```
public struct MisfirePolicy: Sendable, Hashable, Codable {
    /// Which missed due dates inside the catch-up window run.
    ///
    /// New modes may be added in later versions: a `switch` over a mode matches the static members
    /// (`case .runLatest:`) and needs a `default:` case. Its `Codable` form is its ``rawValue``.
    public struct Mode: RawRepresentable, Sendable, Hashable, Codable {
        /// The modes there are; the scheduler switches over them exhaustively.
        package enum Kind: String, Sendable, Hashable {
            case runLatest, runEarliest, runAll
        }

        /// Which mode this is.
        package let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// The mode's name as in the source (`runLatest`, `runEarliest`, `runAll`): its stored form.
        public var rawValue: String { kind.rawValue }

        /// The mode named `rawValue`, or `nil` for an unknown name.
        public init?(rawValue: String) {
            guard let kind = Kind(rawValue: rawValue) else { return nil }
            self.kind = kind
        }

        /// Run once, for the latest missed due date (the default).
        public static let runLatest = Mode(.runLatest)
        /// Run once, for the earliest missed due date inside the window.
        public static let runEarliest = Mode(.runEarliest)
        /// Run once for every missed due date inside the window, oldest first, one after another.
        public static let runAll = Mode(.runAll)
    }

    /// How far back missed due dates may still run; `nil` is unlimited. `.zero` means "skip to
    /// the next due date": no missed due date runs. A negative window set here counts as zero.
    public var catchUpWindow: Duration? {
        get { catchUpWindowSeconds.map(Duration.init(timeInterval:)) }
        set { catchUpWindowSeconds = newValue.map { max(0, $0.timeInterval) } }
    }
    /// ``catchUpWindow`` in seconds, what the scheduler and the stored forms (`Codable`, the state
    /// file) use.
    package var catchUpWindowSeconds: Double?
    /// Which missed due dates inside the window run.
    public var mode: Mode

    /// Creates a misfire policy.
    ///
    /// - Parameters:
    ///   - catchUpWindow: how far back (from the moment the scheduler handles the misfire) missed
    ///     due dates may still run; `nil` for no limit. Negative values count as zero.
    ///   - mode: which of them run.
    public init(catchUpWindow: Duration? = nil, mode: Mode = .runLatest) {
        self.catchUpWindowSeconds = catchUpWindow.map { max(0, $0.timeInterval) }
        self.mode = mode
    }

    private enum CodingKeys: String, CodingKey {
        case catchUpWindowSeconds = "catchUpWindow", mode
    }

    /// Run the latest missed due date once, however old (the default).
    public static let runLatest = MisfirePolicy(mode: .runLatest)
    /// Run the earliest missed due date once, however old.
    public static let runEarliest = MisfirePolicy(mode: .runEarliest)
    /// Run every missed due date, however old.
    public static let runAll = MisfirePolicy(mode: .runAll)
    /// Run no missed due date: skip to the next one.
    public static let skip = MisfirePolicy(catchUpWindow: .zero)
}
