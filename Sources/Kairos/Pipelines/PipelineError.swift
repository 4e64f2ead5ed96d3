import Foundation

/// Why a pipeline run failed.
///
/// A cancelled run throws `CancellationError` instead.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    /// Jobs of a stage failed after their retries: with ``PipelineFailurePolicy/failFast`` the first
    /// failure only, with ``PipelineFailurePolicy/finishStage`` every failure in job order.
    case stageFailed(stageIndex: Int, stageName: String, failures: [PipelineJobFailure])
    /// The ``JobPipeline/onCheckpoint(_:)`` handler threw; the run stops, since what it did could
    /// not be recorded.
    case checkpointFailed(stageIndex: Int, underlying: any Error)

    /// `stage 2 ("load") failed: job "db" failed after 3 attempts: connection refused`.
    public var description: String {
        switch self {
        case .stageFailed(let index, let name, let failures):
            "stage \(index) (\"\(name)\") failed: " + failures.map(\.description).joined(separator: "; ")
        case .checkpointFailed(let index, let underlying):
            "checkpoint after stage \(index) failed: \(underlying)"
        }
    }
}

/// One job's failure in a ``PipelineError/stageFailed(stageIndex:stageName:failures:)``.
public struct PipelineJobFailure: Sendable, CustomStringConvertible {
    /// The job's name.
    public let job: String
    /// The job's position in its stage.
    public let jobIndex: Int
    /// How many attempts were made.
    public let attempts: Int
    /// The error of the last attempt (``PipelineJobTimeoutError`` for a timeout).
    public let error: any Error

    /// Whether the last attempt timed out.
    public var timedOut: Bool { error is PipelineJobTimeoutError }

    /// `job "db" failed after 3 attempts: connection refused`.
    public var description: String {
        "job \"\(job)\" failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(error)"
    }
}

/// The error of a job attempt that ran longer than its timeout.
public struct PipelineJobTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The job's name.
    public let job: String
    /// The job's timeout.
    public let timeout: Duration

    /// `timed out after 30.0 s`.
    public var description: String { "timed out after \(timeout.timeInterval) s" }
}

/// Why ``JobPipeline/start(from:)`` rejected a checkpoint. Nothing was started.
public struct PipelineCheckpointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The run the checkpoint belongs to.
    public let runID: PipelineRunID
    /// What does not fit.
    public let reason: String

    /// `cannot resume run 1f…: it was taken from pipeline "a", not "b"`.
    public var description: String { "cannot resume run \(runID): \(reason)" }
}

/// Why a checkpoint could not be taken: a value of the run has no exact ``JSONValue`` form (see
/// ``JSONValue/init(encoding:)``), and a checkpoint never stores a changed value.
///
/// ``PipelineRun/checkpoint()`` throws it; when the ``JobPipeline/onCheckpoint(_:)`` handler would
/// receive the checkpoint, the run fails with ``PipelineError/checkpointFailed(stageIndex:underlying:)``
/// wrapping it.
public struct PipelineCheckpointValueError: Error, Sendable, CustomStringConvertible {
    /// The run.
    public let runID: PipelineRunID
    /// The stage whose output could not be stored, or `nil` for the run's input.
    public let stageIndex: Int?
    /// That stage's name, or `nil` for the run's input.
    public let stageName: String?
    /// Why the value could not be stored (``JSONValue/InexactNumberError`` or an `EncodingError`).
    public let underlying: any Error

    /// `cannot checkpoint run 1f…: the output of stage 0 ("count") cannot be stored: the number …`.
    public var description: String {
        let value = stageIndex.map { "the output of stage \($0) (\"\(stageName ?? "")\")" } ?? "the input"
        return "cannot checkpoint run \(runID): \(value) cannot be stored: \(underlying)"
    }
}
