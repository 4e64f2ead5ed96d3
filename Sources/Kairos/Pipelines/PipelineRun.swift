import Foundation

/// A handle on one run of a ``JobPipeline``: its result, its progress events, cancellation and
/// checkpoints.
///
/// The run goes on whether or not the handle is kept. All members are thread-safe.
public final class PipelineRun<Output: Sendable>: Sendable {
    /// The run's identity.
    public let id: PipelineRunID
    /// The pipeline's name.
    public let pipelineName: String
    /// The run's progress events, from its start to ``PipelineEvent/Kind/runFinished(_:)``, after
    /// which the sequence ends. Events are buffered until read; read it from one task only.
    public let events: AsyncStream<PipelineEvent>

    let context: PipelineRunContext
    let task: Task<Output, any Error>

    init(context: PipelineRunContext, events: AsyncStream<PipelineEvent>, task: Task<Output, any Error>) {
        self.id = context.id
        self.pipelineName = context.pipelineName
        self.events = events
        self.context = context
        self.task = task
    }

    /// The last stage's output, once the run has ended.
    ///
    /// - Throws: ``PipelineError`` when a stage failed or a checkpoint could not be taken;
    ///   `CancellationError` when the run was cancelled.
    public var value: Output {
        get async throws { try await task.value }
    }

    /// The run's final status, once it has ended (never throws).
    public var outcome: PipelineRunStatus {
        get async {
            _ = await task.result
            return context.info.status
        }
    }

    /// Cancels the run: the running jobs see Swift task cancellation, a wait ends at once, no
    /// further stage starts, and ``value`` throws `CancellationError`. Cancelling an ended run
    /// does nothing.
    public func cancel() { task.cancel() }

    /// Where the run is now.
    public var info: PipelineRunInfo { context.info }

    /// A checkpoint of the run as it is now (see ``PipelineCheckpoint``).
    ///
    /// - Throws: ``PipelineCheckpointValueError`` if the input or a stage output cannot be stored
    ///   exactly as JSON; a checkpoint never holds a changed value.
    public func checkpoint() throws(PipelineCheckpointValueError) -> PipelineCheckpoint { try context.checkpoint() }
}
