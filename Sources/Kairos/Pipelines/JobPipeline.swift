import Foundation

/// A staged async pipeline: stages run in order, the jobs of a stage run in parallel, and each
/// stage receives the output of the one before.
///
/// A pipeline is a value built by a chain of calls; each call adds a stage and changes the
/// pipeline's `Output` type to that stage's output, so the compiler checks that stage *n*'s jobs
/// take what stage *n − 1* produces:
///
/// ```swift
/// let pipeline = JobPipeline(name: "thumbnails", input: [String].self, clock: clock)
///     .forEach("download", retry: try .init(maxAttempts: 3)) { path, _ in try await download(path) }  // [Data]
///     .stage("index", jobs: [                                                                       // [Int]
///         PipelineJob("count") { images, _ in images.count },
///         PipelineJob("bytes", timeout: .seconds(30)) { images, _ in images.reduce(0) { $0 + $1.count } },
///     ])
///     .waitForSignal("approved")                                      // SignalResumption<[Int]>
///     .step("publish") { approved, _ in try await publish(approved.value) }                        // Bool
///
/// let run = pipeline.start(["a.png", "b.png"])
/// for await event in run.events { print(event.kind) }
/// let published: Bool = try await run.value
/// ```
///
/// - ``stage(_:failurePolicy:jobs:)->JobPipeline<Input,[Next]>``: a fixed set of jobs, each receiving the whole previous
///   output; the stage's output is the array of their results, in job order.
/// - ``forEach(_:failurePolicy:retry:timeout:body:)``: one job per element of the previous output
///   (an array); output in element order.
/// - ``step(_:retry:timeout:body:)->JobPipeline<Input,Next>``: a single job; its result (not wrapped in an array) is the
///   output.
/// - ``wait(until:)``, ``wait(_:until:)``, ``wait(for:)``: wait steps on the pipeline's clock; the
///   value passes through.
/// - ``waitForSignal(_:)``, ``waitForSignal(_:key:)``: wait for a signal; the output is a
///   ``SignalResumption`` carrying the value and the signal's payload.
///
/// Every value that flows between stages is `Codable`, so that a run can be checkpointed as
/// JSON (``PipelineCheckpoint``) and resumed after a restart (``start(from:)``).
///
/// A pipeline value is immutable and `Sendable`; start any number of runs from it, concurrently.
/// The runs of a pipeline and of every pipeline derived from it by the builder calls share one
/// registry (``activeRuns``, ``waitingRuns``).
public struct JobPipeline<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The pipeline's name, as it appears in events, waiters and checkpoints.
    public let name: String
    /// The clock every wait, backoff and timeout of the pipeline goes through.
    public let clock: any SchedulerClock
    /// The hub that wait-for-signal steps register with; share the scheduler's so that its
    /// `send(signal:payload:)` resumes waiting runs.
    public let signals: SignalHub
    /// The failure policy of stages that do not set their own.
    public let failurePolicy: PipelineFailurePolicy

    let stages: [PipelineStage]
    let inputCodec: ValueCodec
    let registry: PipelineRunRegistry
    let eventHandler: (@Sendable (PipelineEvent) -> Void)?
    let checkpointHandler: (@Sendable (PipelineCheckpoint) async throws -> Void)?

    /// Creates a pipeline with no stages whose runs take an `Input`.
    ///
    /// - Parameters:
    ///   - name: the pipeline's name, in events, checkpoints and run listings.
    ///   - input: the type of the runs' input.
    ///   - clock: the clock for waits, backoffs and timeouts (`ManualClock` in tests).
    ///   - signals: the signal hub for wait-for-signal steps; pass the scheduler's to let
    ///     `Scheduler.send(signal:payload:)` resume runs.
    ///   - failurePolicy: the default failure policy of job stages.
    public init(
        name: String,
        input: Input.Type,
        clock: any SchedulerClock = SystemClock.shared,
        signals: SignalHub = SignalHub(),
        failurePolicy: PipelineFailurePolicy = .failFast
    ) where Output == Input {
        self.init(
            name: name, clock: clock, signals: signals, failurePolicy: failurePolicy, stages: [],
            inputCodec: .of(Input.self), registry: PipelineRunRegistry(), eventHandler: nil, checkpointHandler: nil
        )
    }

    /// Creates a pipeline with no stages whose runs take no input; start it with ``start()``.
    public init(
        name: String,
        clock: any SchedulerClock = SystemClock.shared,
        signals: SignalHub = SignalHub(),
        failurePolicy: PipelineFailurePolicy = .failFast
    ) where Input == NoValue, Output == NoValue {
        self.init(name: name, input: NoValue.self, clock: clock, signals: signals, failurePolicy: failurePolicy)
    }

    init(
        name: String,
        clock: any SchedulerClock,
        signals: SignalHub,
        failurePolicy: PipelineFailurePolicy,
        stages: [PipelineStage],
        inputCodec: ValueCodec,
        registry: PipelineRunRegistry,
        eventHandler: (@Sendable (PipelineEvent) -> Void)?,
        checkpointHandler: (@Sendable (PipelineCheckpoint) async throws -> Void)?
    ) {
        self.name = name
        self.clock = clock
        self.signals = signals
        self.failurePolicy = failurePolicy
        self.stages = stages
        self.inputCodec = inputCodec
        self.registry = registry
        self.eventHandler = eventHandler
        self.checkpointHandler = checkpointHandler
    }

    /// The names of the stages, wait steps included, in order.
    public var stageNames: [String] { stages.map(\.name) }

    // MARK: Observing

    /// Returns a copy of the pipeline that calls `handler` with every progress event of every run.
    ///
    /// The handler runs synchronously on the task that caused the event (often a job's child
    /// task, concurrently with others); it must be quick and thread-safe.
    public func onEvent(_ handler: @escaping @Sendable (PipelineEvent) -> Void) -> JobPipeline {
        JobPipeline(
            name: name, clock: clock, signals: signals, failurePolicy: failurePolicy, stages: stages,
            inputCodec: inputCodec, registry: registry, eventHandler: handler, checkpointHandler: checkpointHandler
        )
    }

    /// Returns a copy of the pipeline that hands `handler` a ``PipelineCheckpoint`` of each run when
    /// it starts, when it enters a wait step (before it registers the wait), after each completed
    /// stage, and when it ends — the hook a persistence layer builds on.
    ///
    /// The run does not go on until the handler returns. If it throws, the run fails with
    /// ``PipelineError/checkpointFailed(stageIndex:underlying:)``.
    public func onCheckpoint(_ handler: @escaping @Sendable (PipelineCheckpoint) async throws -> Void) -> JobPipeline {
        JobPipeline(
            name: name, clock: clock, signals: signals, failurePolicy: failurePolicy, stages: stages,
            inputCodec: inputCodec, registry: registry, eventHandler: eventHandler, checkpointHandler: handler
        )
    }

    func appending<Next: Codable & Sendable>(_ stage: PipelineStage, output _: Next.Type) -> JobPipeline<Input, Next> {
        JobPipeline<Input, Next>(
            name: name, clock: clock, signals: signals, failurePolicy: failurePolicy, stages: stages + [stage],
            inputCodec: inputCodec, registry: registry, eventHandler: eventHandler, checkpointHandler: checkpointHandler
        )
    }

    // MARK: Signals and listings

    /// Sends a signal to whatever waits for `key` on the pipeline's ``signals`` hub (waiting
    /// runs of this and any other pipeline sharing the hub, signal-triggered jobs) and returns the
    /// waiters it reached; `[]` when nothing waited (the signal is then dropped).
    ///
    /// Each waiting run is resumed once and receives `payload` in its ``SignalResumption``.
    @discardableResult
    public func send(signal key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        signals.send(key, payload: payload)
    }

    /// The runs of this pipeline that have not ended, ordered by start date then ID.
    public var activeRuns: [PipelineRunInfo] { registry.infos() }

    /// The active runs that are waiting, with what each waits for.
    public var waitingRuns: [PipelineRunInfo] { registry.infos().filter { $0.status == .waiting } }
}
