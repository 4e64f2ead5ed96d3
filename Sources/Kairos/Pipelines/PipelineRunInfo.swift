import Foundation

/// A snapshot of an active pipeline run, as listed by ``JobPipeline/activeRuns`` and
/// ``JobPipeline/waitingRuns``.
public struct PipelineRunInfo: Sendable, Hashable {
    /// The run.
    public let id: PipelineRunID
    /// The pipeline's name.
    public let pipelineName: String
    /// Running, waiting, or (for a run that just ended) its final status.
    public let status: PipelineRunStatus
    /// The stage the run is at (the number of completed stages).
    public let stageIndex: Int
    /// That stage's name, or `nil` once every stage completed.
    public let stageName: String?
    /// What the run waits for, when `status` is `.waiting`.
    public let waitingFor: PipelineWait?
    /// When the run first started, on the pipeline's clock.
    public let startedAt: Date
}
