/// Where a pipeline run is in its life.
public enum PipelineRunStatus: String, Sendable, Hashable, Codable {
    /// Running a stage of jobs.
    case running
    /// Paused at a wait step (see ``PipelineWait``).
    case waiting
    /// Every stage completed.
    case succeeded
    /// A stage failed (or a checkpoint could not be taken).
    case failed
    /// The run was cancelled.
    case cancelled

    /// Whether the run has ended.
    public var isFinished: Bool {
        switch self {
        case .running, .waiting: false
        case .succeeded, .failed, .cancelled: true
        }
    }
}
