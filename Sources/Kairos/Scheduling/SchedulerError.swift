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

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .jobNotFound(let id): "no job with ID \(id)"
        case .jobCancelled(let id): "job \(id) was cancelled"
        case let .invalidOption(option, reason): "invalid job option '\(option)': \(reason)"
        case .duplicateJobID(let id): "a job with ID \(id) exists already"
        case .runCancelled(let id): "the run of job \(id) was cancelled"
        case .runTimedOut(let id): "the run of job \(id) timed out"
        }
    }
}
