import Foundation

// DependencyScheduler hook (added by the dependencies work, kept apart from the scheduler files):
// like `runNow(_:attempt:completion:)`, but for a batch of runs under one lock acquisition, each
// for a given due date, so that its `JobContext.dueDate` and idempotency key name the DAG run,
// not the instant it started.
extension SchedulerCore {
    struct DependencyRunRequest {
        let id: JobID
        let dueDate: Date
        let attempt: Int
        let completion: @Sendable (RunOutcome) -> Void
    }

    /// Starts the runs it can and returns the requests it could not start, with the reason; `nil`
    /// (nothing started) when the scheduler is not running.
    func runForDependencies(_ requests: [DependencyRunRequest]) -> [(DependencyRunRequest, SchedulerError)]? {
        withLock { (effects: inout Effects) in
            guard lifecycle == .running else { return nil }
            var rejected: [(DependencyRunRequest, SchedulerError)] = []
            for request in requests {
                do throws(SchedulerError) {
                    let slot = try requireSlotLocked(request.id)
                    guard records[Int(slot)].state != .cancelled else { throw .jobCancelled(request.id) }
                    startRunLocked(
                        slot: slot, due: request.dueDate.timeIntervalSinceReferenceDate, startAfter: -.infinity,
                        payload: nil, attempt: request.attempt, completion: request.completion, effects: &effects)
                } catch {
                    rejected.append((request, error))
                }
            }
            return rejected
        }
    }
}
