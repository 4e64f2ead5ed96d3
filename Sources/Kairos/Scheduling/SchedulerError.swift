/// Why a scheduler operation was refused.
public enum SchedulerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No job has this ID (it never existed, or it finished long enough ago to be forgotten).
    case jobNotFound(JobID)
    /// The job was cancelled; it cannot run, be resumed or rescheduled.
    case jobCancelled(JobID)
    /// An option is out of range; `option` names it.
    case invalidOption(option: String, reason: String)
    /// A job with this ID exists already (explicit IDs, used by `PersistentScheduler`).
    case duplicateJobID(JobID)
    /// The run was cancelled or the scheduler stopped before the run could finish.
    case runCancelled(JobID)
    /// The run exceeded the job's timeout.
    case runTimedOut(JobID)
    /// ``Scheduler/runNow(_:)`` on a job that has fired all the runs its
    /// ``JobOptions/maxRuns`` allows (finished runs and runs in flight); nothing ran.
    case maxRunsReached(JobID, maxRuns: Int)
    /// ``Scheduler/runNow(_:as:)``: the run returned a value of another type than the one asked
    /// for. The run happened and counts; `expected` and `actual` name the two types.
    case resultTypeMismatch(JobID, expected: String, actual: String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .jobNotFound(let id): "no job with ID \(id)"
        case .jobCancelled(let id): "job \(id) was cancelled"
        case let .invalidOption(option, reason): "invalid job option '\(option)': \(reason)"
        case .duplicateJobID(let id): "a job with ID \(id) exists already"
        case .runCancelled(let id): "the run of job \(id) was cancelled"
        case .runTimedOut(let id): "the run of job \(id) timed out"
        case let .maxRunsReached(id, maxRuns): "job \(id) has already fired the \(maxRuns) run\(maxRuns == 1 ? "" : "s") its maxRuns allows"
        case let .resultTypeMismatch(id, expected, actual): "job \(id) returned a value of type \(actual), not \(expected)"
        }
    }
}
