import Foundation
import Kairos

/// What one run of a job saw, as ``RunRecorder`` keeps it: the values of its `JobContext` when the
/// body called ``RunRecorder/record(_:)``.
public struct RecordedRun: Sendable, Hashable {
    /// The job that ran.
    public var jobID: JobID
    /// The job's name.
    public var name: String
    /// The due date the run was for.
    public var dueDate: Date
    /// The run's attempt number (1 for the first).
    public var attempt: Int
    /// The payload of the event that fired the run, if an event did.
    public var payload: JSONValue?
    /// The run's idempotency key (job ID and due date).
    public var idempotencyKey: String

    /// The values of `context`.
    public init(_ context: JobContext) {
        jobID = context.jobID
        name = context.name
        dueDate = context.dueDate
        attempt = context.attempt
        payload = context.payload
        idempotencyKey = context.idempotencyKey
    }
}
