import Foundation

/// A progress event of a pipeline run, delivered on ``PipelineRun/events`` and to the
/// ``JobPipeline/onEvent(_:)`` callback.
///
/// For one run, events arrive in the order they happened, except that events of jobs running in
/// parallel interleave.
public struct PipelineEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// The run started, at stage `atStage` (0, or later when resumed from a checkpoint).
        case runStarted(atStage: Int)
        /// A stage (jobs or a wait step) started.
        case stageStarted(index: Int, name: String)
        /// A job attempt started.
        case jobStarted(stage: Int, job: String, attempt: Int)
        /// A job attempt succeeded.
        case jobSucceeded(stage: Int, job: String, attempt: Int)
        /// A job attempt failed (`timedOut` tells a timeout apart); a retry may follow.
        case jobFailed(stage: Int, job: String, attempt: Int, reason: String, timedOut: Bool)
        /// A failed job will start attempt `nextAttempt` after `delay` of the pipeline's clock.
        case jobRetrying(stage: Int, job: String, nextAttempt: Int, delay: Duration)
        /// The run is now waiting (it has registered for the signal, or started to sleep).
        case waiting(stage: Int, on: PipelineWait)
        /// The run resumed from a wait; `payload` is the signal's payload (nil for a date).
        case resumed(stage: Int, payload: JSONValue?)
        /// A stage finished; `succeeded` is false when it failed or was cancelled.
        case stageFinished(index: Int, name: String, succeeded: Bool)
        /// The run ended with `status` (succeeded, failed or cancelled).
        case runFinished(PipelineRunStatus)
    }

    /// The run the event belongs to.
    public let runID: PipelineRunID
    /// The pipeline's name.
    public let pipelineName: String
    /// When it happened, on the pipeline's clock.
    public let date: Date
    /// What happened.
    public let kind: Kind
}
