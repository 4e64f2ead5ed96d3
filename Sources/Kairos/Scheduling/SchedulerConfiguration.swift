import Foundation

extension Scheduler {
    /// How a scheduler runs; every property has a default, so `Configuration()` is a working
    /// production setup.
    public struct Configuration: Sendable {
        /// The most runs executing at once (sync and async bodies together); runs beyond it wait
        /// in the ready queue, ordered by due date then priority. At least 1. Synchronous bodies
        /// run on a pool of at most this many worker threads, created as needed. Runs that
        /// ``Scheduler/runNow(_:)`` starts from inside a job body are not held to it (their callers
        /// wait for them holding a place within it already).
        public var maxConcurrentJobs: Int
        /// The source of time; tests pass a ``ManualClock``.
        public var clock: any SchedulerClock
        /// Where ``Scheduler/send(signal:payload:)`` delivers signals; share one hub between a
        /// scheduler and pipelines so that one signal reaches both.
        public var signalHub: SignalHub
        /// The overlap policy of jobs scheduled without one.
        public var defaultOverlap: OverlapPolicy
        /// The misfire policy of jobs scheduled without one.
        public var defaultMisfire: MisfirePolicy
        /// How late a running scheduler may reach a due date and still count it as on
        /// time; later, it is *missed* and the misfire policy applies. Default 1 s. A date that
        /// fell due before ``Scheduler/start()`` or while the scheduler or the job was paused is
        /// missed whatever this says (see ``MisfirePolicy``). Negative counts as zero.
        public var misfireThreshold: Duration
        /// How many finished (completed, failed or cancelled) jobs stay queryable with
        /// ``Scheduler/job(_:)``; older ones are forgotten and their memory reused. Default 10,000.
        public var finishedJobRetention: Int
        /// How many events each ``Scheduler/events`` stream buffers for a slow consumer; beyond it
        /// the oldest are dropped. Default 10,000.
        public var eventBufferSize: Int
        /// How long the scheduler thread lets jobs queued already due pile up during a burst.
        ///
        /// After a pass that fired at least 16 runs, the scheduler thread pauses this long before
        /// its next pass instead of waking for each job queued already due meanwhile (scheduled,
        /// rescheduled or resumed with a date that has come): a burst then costs one wake-up per
        /// batch rather than one per few jobs, which on a small machine decides the throughput.
        /// Such a job can fire up to this much later than it otherwise would. Nothing else waits
        /// for the pause: it ends before the earliest due date or run timeout, and a new earliest
        /// due date, a new timeout, `stop`, `pause` and `resume` end it at once. Only with
        /// ``SystemClock``: with a virtual clock (``ManualClock``) the scheduler never pauses.
        /// Default 1 ms; `.zero` turns it off; negative counts as zero.
        public var burstBatchingDelay: Duration

        /// Creates a configuration; see each property.
        public init(
            maxConcurrentJobs: Int = ProcessInfo.processInfo.activeProcessorCount,
            clock: any SchedulerClock = SystemClock.shared,
            signalHub: SignalHub = SignalHub(),
            defaultOverlap: OverlapPolicy = .skip,
            defaultMisfire: MisfirePolicy = .runLatest,
            misfireThreshold: Duration = .seconds(1),
            finishedJobRetention: Int = 10_000,
            eventBufferSize: Int = 10_000,
            burstBatchingDelay: Duration = .milliseconds(1)
        ) {
            self.maxConcurrentJobs = max(1, maxConcurrentJobs)
            self.clock = clock
            self.signalHub = signalHub
            self.defaultOverlap = defaultOverlap
            self.defaultMisfire = defaultMisfire
            self.misfireThreshold = max(.zero, misfireThreshold)
            self.finishedJobRetention = max(0, finishedJobRetention)
            self.eventBufferSize = max(1, eventBufferSize)
            self.burstBatchingDelay = max(.zero, burstBatchingDelay)
        }
    }
}
