import Foundation
import Kairos

/// One run of a schedule as the API reports it: when it was due and ran, how it ended, and what
/// the action said (exit or HTTP status, the tail of its output).
public struct RunRecord: Sendable, Hashable, Codable {
    /// How a run ended, or `running`.
    public enum Outcome: String, Sendable, Hashable, Codable {
        case running, succeeded, failed, timedOut, cancelled
    }

    /// The schedule's ID (its job key).
    public var schedule: String
    /// The job that ran (a schedule's job changes when its name or options are updated).
    public var jobID: UInt64
    /// The nominal due date (the post instant for an event, the request's for a trigger).
    public var dueDate: Date
    /// 1, or higher when the run is a re-run after a crash or an action's retry.
    public var attempt: Int?
    /// When the run started executing.
    public var startedAt: Date?
    /// When it ended.
    public var endedAt: Date?
    /// How it ended.
    public var outcome: Outcome
    /// A shell action's exit status (128 + N for a signal N).
    public var exitStatus: Int?
    /// A webhook action's HTTP status.
    public var httpStatus: Int?
    /// Why it failed.
    public var error: String?
    /// The last bytes of a shell action's output (stdout and stderr) or a webhook's answer.
    public var outputTail: String?

    /// Creates a record; see each property.
    public init(
        schedule: String, jobID: UInt64, dueDate: Date, attempt: Int? = nil, startedAt: Date? = nil, endedAt: Date? = nil,
        outcome: Outcome, exitStatus: Int? = nil, httpStatus: Int? = nil, error: String? = nil, outputTail: String? = nil
    ) {
        self.schedule = schedule
        self.jobID = jobID
        self.dueDate = dueDate
        self.attempt = attempt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.exitStatus = exitStatus
        self.httpStatus = httpStatus
        self.error = error
        self.outputTail = outputTail
    }
}

/// What an action reports about its run, merged into the run's record.
struct ActionReport: Sendable {
    var attempt: Int
    var exitStatus: Int?
    var httpStatus: Int?
    var outputTail: String?
}
