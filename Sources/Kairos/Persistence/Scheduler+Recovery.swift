import Foundation

extension Scheduler {
    /// Fires a run of job `id` for a due date that was in flight when the process stopped (the
    /// hook `PersistentScheduler` uses for at-least-once recovery).
    ///
    /// The run goes straight to the executor, like ``runNow(_:)``, whether or not the scheduler is
    /// started and whatever the misfire and overlap policies say: it was already fired once. Its
    /// context carries the original `dueDate` (so the idempotency key is the one the interrupted
    /// run had), `attempt` and the `payload` of the event that fired it.
    ///
    /// - Throws: ``SchedulerError/jobNotFound(_:)``, ``SchedulerError/jobCancelled(_:)``.
    package func rerunInterruptedRun(of id: JobID, dueDate: Date, attempt: Int, payload: JSONValue? = nil) throws(SchedulerError) {
        let core = self.core
        try core.withLock { (effects: inout SchedulerCore.Effects) throws(SchedulerError) in
            let slot = try core.requireSlotLocked(id)
            // A one-shot job restored with its only run in flight is already marked completed; its
            // run still has to happen again.
            guard core.records[Int(slot)].state != .cancelled else { throw .jobCancelled(id) }
            core.startRunLocked(
                slot: slot, due: dueDate.timeIntervalSinceReferenceDate, startAfter: -.infinity,
                payload: payload, attempt: attempt, completion: nil, effects: &effects)
        }
    }
}
