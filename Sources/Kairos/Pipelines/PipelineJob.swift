import Foundation

/// One job of a pipeline stage: a named async body with its own retry policy and timeout.
///
/// The body receives the stage's input (the previous stage's output) and a
/// ``PipelineJobContext``. It should check for cancellation at its suspension points: a
/// fail-fast sibling failure, a timeout and the cancellation of the run all reach it as Swift
/// task cancellation, and the stage waits for the body to return.
public struct PipelineJob<Input: Sendable, Output: Sendable>: Sendable {
    /// The job's name, as shown in events and failures.
    public var name: String
    /// How a failed attempt is retried; ``RetryPolicy/none`` by default.
    public var retry: RetryPolicy
    /// The longest one attempt may take, on the pipeline's clock; `nil` for no limit.
    /// An attempt that reaches it is cancelled and fails with ``PipelineJobTimeoutError`` (and is
    /// retried like any failure). A timeout `≤ 0` fails every attempt with that error without
    /// running the body.
    public var timeout: Duration?
    let body: @Sendable (Input, PipelineJobContext) async throws -> Output

    /// Creates a job.
    public init(
        _ name: String,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (Input, PipelineJobContext) async throws -> Output
    ) {
        self.name = name
        self.retry = retry
        self.timeout = timeout
        self.body = body
    }
}

/// What a pipeline job's body knows about the attempt it is running.
public struct PipelineJobContext: Sendable {
    /// The run the job belongs to.
    public let runID: PipelineRunID
    /// The pipeline's name.
    public let pipelineName: String
    /// The stage's position in the pipeline (from 0).
    public let stageIndex: Int
    /// The stage's name.
    public let stageName: String
    /// The job's name.
    public let jobName: String
    /// The job's position in its stage (from 0).
    public let jobIndex: Int
    /// The attempt number, from 1.
    public let attempt: Int
    /// The pipeline's clock; bodies that wait should wait on it (``sleep(for:)``), so that tests
    /// run them in virtual time.
    public let clock: any SchedulerClock

    /// A key that is the same for every attempt of this job in this run, also after the run is
    /// resumed from a checkpoint: `"<run id>/<stage index>/<job index>"`. At-least-once bodies use
    /// it to deduplicate their side effects.
    public var idempotencyKey: String { "\(runID)/\(stageIndex)/\(jobIndex)" }

    /// Suspends for `interval` of the pipeline's clock.
    ///
    /// - Throws: `CancellationError` if the job is cancelled first.
    public func sleep(for interval: Duration) async throws {
        try await clock.sleep(until: clock.now.date.addingTimeInterval(interval.timeInterval))
    }
}
