import Foundation

extension Scheduler {
    /// Makes room for `count` more jobs in the job table's indexes and the queue, so that adding
    /// them one by one (restoring a persisted state) does not grow and rehash them step by step.
    ///
    /// - Complexity: O(jobs + count), once.
    package func reserveCapacity(forAdditionalJobs count: Int) {
        let core = self.core
        core.withLock { (_: inout SchedulerCore.Effects) in
            core.explicitIDs.reserveCapacity(core.explicitIDs.count + count)
            core.queue.reserveCapacity(core.queue.count + count)
        }
    }
}
