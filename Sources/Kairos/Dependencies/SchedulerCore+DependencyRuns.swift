import Foundation

// DependencyScheduler hook (added by the dependencies work, kept apart from the scheduler files):
// like `runNow(_:attempt:completion:)`, but the run is for a given due date, so that its
// `JobContext.dueDate` and idempotency key name the DAG run, not the instant it started.
extension SchedulerCore {
    func runForDependency(_ id: JobID, dueDate: Date, attempt: Int,
                          completion: @escaping @Sendable (RunOutcome) -> Void) throws(SchedulerError) {
        try withLock { (effects: inout Effects) throws(SchedulerError) in
            let slot = try requireSlotLocked(id)
            guard records[Int(slot)].state != .cancelled else { throw .jobCancelled(id) }
            startRunLocked(slot: slot, due: dueDate.timeIntervalSinceReferenceDate, startAfter: -.infinity, payload: nil,
                           attempt: attempt, completion: completion, effects: &effects)
        }
    }
}
