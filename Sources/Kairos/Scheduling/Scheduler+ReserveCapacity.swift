import Foundation

extension Scheduler {
    /// Makes room for `count` more jobs in the job table's indexes and the queue, so that adding
    /// them one by one (restoring a persisted state) does not grow and rehash them step by step.
    ///
    /// - Complexity: O(jobs + count), once.
    package func reserveCapacity(forAdditionalJobs count: Int) {
        let core = self.core
        core.change { timeline, _ in
            timeline.explicitIDs.reserveCapacity(timeline.explicitIDs.count + count)
            timeline.queue.reserveCapacity(timeline.queue.count + count)
        }
    }
}
