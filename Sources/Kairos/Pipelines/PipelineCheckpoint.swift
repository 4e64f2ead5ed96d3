import Foundation

/// The durable state of one pipeline run: enough to resume it after a restart from the last
/// completed stage, waits included.
///
/// A run hands a checkpoint to the ``JobPipeline/onCheckpoint(_:)`` handler when it starts, on
/// entering a wait step, after each completed stage and when it ends; ``PipelineRun/checkpoint()``
/// takes one on demand. ``JobPipeline/start(from:)`` resumes a run from one.
///
/// Stage outputs are stored as ``JSONValue`` (they are `Codable`), so a checkpoint is plain JSON.
public struct PipelineCheckpoint: Sendable, Hashable, Codable {
    /// The format version, currently 1.
    public var version: Int
    /// The run.
    public var runID: PipelineRunID
    /// The pipeline's name; resuming checks it.
    public var pipelineName: String
    /// The number of stages (wait steps included) of the pipeline; resuming checks it.
    public var stageCount: Int
    /// The run's input.
    public var input: JSONValue
    /// The stage the run is at: the number of completed stages.
    public var stageIndex: Int
    /// The output of every completed stage, in order (`count == stageIndex`).
    public var completedStageResults: [JSONValue]
    /// The wait in progress at `stageIndex`, with its resolved deadline or event key; a resumed
    /// run waits for the same date (not a new interval from the restart) or the same key.
    public var wait: PipelineWait?
    /// The run's status when the checkpoint was taken.
    public var status: PipelineRunStatus
    /// Why the run failed, when `status` is `.failed`.
    public var failure: String?
    /// When the run first started, on the pipeline's clock.
    public var startedAt: Date
    /// When the checkpoint was taken, on the pipeline's clock.
    public var takenAt: Date

    /// Creates a checkpoint; normally only runs make them.
    public init(
        runID: PipelineRunID,
        pipelineName: String,
        stageCount: Int,
        input: JSONValue,
        stageIndex: Int,
        completedStageResults: [JSONValue],
        wait: PipelineWait?,
        status: PipelineRunStatus,
        failure: String?,
        startedAt: Date,
        takenAt: Date
    ) {
        self.version = 1
        self.runID = runID
        self.pipelineName = pipelineName
        self.stageCount = stageCount
        self.input = input
        self.stageIndex = stageIndex
        self.completedStageResults = completedStageResults
        self.wait = wait
        self.status = status
        self.failure = failure
        self.startedAt = startedAt
        self.takenAt = takenAt
    }
}
