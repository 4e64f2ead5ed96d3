/// What a stage does when one of its jobs fails (after its retries).
public enum PipelineFailurePolicy: String, Sendable, Hashable, Codable {
    /// Cancel the stage's other jobs at once and fail the run with that job's failure. Cancelled
    /// siblings see Swift task cancellation and are not reported as failures.
    case failFast
    /// Let every job of the stage finish (retries included), then fail the run with all the
    /// failures of the stage, in job order.
    case finishStage
}
