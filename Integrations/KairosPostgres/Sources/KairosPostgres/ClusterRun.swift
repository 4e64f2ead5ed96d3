import Foundation
import Kairos

/// One slot of a job in the cluster's run history: a due date (or a ``PostgresScheduler/runNow(_:)``
/// request) and what became of it.
public struct ClusterRun: Sendable, Hashable {
    /// Where a slot is.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Due (or due soon) and not claimed yet; also a run handed back or rescued after its
        /// node lost the lease.
        case pending
        /// Claimed by ``node``, whose lease is current.
        case running
        /// The function returned.
        case succeeded
        /// The function threw, timed out, was cancelled, or its lease expired too often.
        case failed
        /// Not run: dropped by the misfire or overlap policy, or its job was cancelled.
        case missed
    }

    /// The slot's key: the ``JobContext/idempotencyKey`` of its runs.
    public var key: String
    /// The job.
    public var jobID: JobID
    /// The due date the slot is for.
    public var dueDate: Date
    /// Whether ``PostgresScheduler/runNow(_:)`` requested it.
    public var isManual: Bool
    /// Where the slot is.
    public var state: State
    /// 1 for the first attempt; one more for each time an expired lease put it back to pending.
    public var attempt: Int
    /// The node that ran (or runs) its latest attempt.
    public var node: String?
    /// When its latest attempt started (the database's clock).
    public var startedAt: Date?
    /// When it finished.
    public var finishedAt: Date?
    /// Why it failed or was missed.
    public var error: String?
}
