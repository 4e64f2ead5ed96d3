/// How one run of a job ended.
public enum RunOutcome: Sendable {
    /// The body returned this value (`()` for bodies that return nothing).
    case success(any Sendable)
    /// The body threw this error.
    case failure(any Error)
    /// The run exceeded the job's timeout and was cancelled.
    case timedOut
    /// The run was cancelled (``Scheduler/cancel(_:)``, ``OverlapPolicy/cancelOther``, or a stop
    /// whose timeout expired) and ended by throwing `CancellationError`.
    case cancelled

    /// Whether the body returned normally.
    public var isSuccess: Bool { if case .success = self { true } else { false } }

    /// The returned value, if the run succeeded.
    public var value: (any Sendable)? { if case .success(let value) = self { value } else { nil } }

    /// The thrown error, if the run failed.
    public var error: (any Error)? { if case .failure(let error) = self { error } else { nil } }
}
