import Foundation

// The hooks that the layers above the scheduler (Persistence/, Dependencies/, Pipelines/) use
// instead of reaching into its storage. Each one is a complete operation under the scheduler's
// lock: a layer never sees job records, slots, the queue or the lock itself. `.ci/check-layering`
// fails when a file in those folders names the scheduler's core.

extension Scheduler {
    /// One run that ``DependencyScheduler`` asks the scheduler to start for a DAG run.
    package struct DependencyRunRequest: Sendable {
        /// The job to run.
        package let id: JobID
        /// The DAG run's due date: the run's ``JobContext/dueDate`` and idempotency key name the
        /// DAG run, not the instant the run started.
        package let dueDate: Date
        /// The attempt number, from 1.
        package let attempt: Int
        /// The caller's name for the run, handed back with its outcome (``FinishedRequestedRun``).
        package let token: UInt64

        /// Creates a request.
        package init(id: JobID, dueDate: Date, attempt: Int, token: UInt64) {
            self.id = id
            self.dueDate = dueDate
            self.attempt = attempt
            self.token = token
        }
    }

    /// How a requested run ended, as reported to its ``RequestedRunSink``.
    package struct FinishedRequestedRun: Sendable {
        /// The request's ``DependencyRunRequest/token``.
        package let token: UInt64
        /// The request's due date.
        package let dueDate: Date
        /// The request's attempt number.
        package let attempt: Int
        /// How it ended (``RunOutcome/cancelled`` if it was withdrawn before it started).
        package let outcome: RunOutcome
    }

    /// Hears how the runs started by ``startDependencyRuns(_:reportingTo:)`` ended.
    ///
    /// One call carries every run of this sink that one report of the executor finished (a
    /// worker's batch of synchronous runs, or one async run), in the order they finished; it is
    /// made after the scheduler's lock is released, on the thread that reported them, and may
    /// start further runs. Runs are not reported in the call that starts them.
    package protocol RequestedRunSink: AnyObject, Sendable {
        /// Runs finished.
        func requestedRunsFinished(_ runs: [FinishedRequestedRun])
    }

    /// Starts a batch of DAG runs under one lock acquisition (used by ``DependencyScheduler``);
    /// each run's outcome goes to `sink` with the request's token.
    ///
    /// Like ``runNow(_:)``, each run goes straight to the executor, whatever the job's trigger,
    /// misfire and overlap policies say (the DAG decided it is due), and counts towards `maxRuns`.
    ///
    /// - Returns: the requests that could not start, each with the reason
    ///   (``SchedulerError/jobNotFound(_:)``, ``SchedulerError/jobCancelled(_:)``), which are not
    ///   reported to `sink`; `nil`, with nothing started, when the scheduler is not running: the
    ///   caller keeps the requests for its next start.
    package func startDependencyRuns(
        _ requests: [DependencyRunRequest], reportingTo sink: any RequestedRunSink
    ) -> [(DependencyRunRequest, SchedulerError)]? {
        let core = self.core
        return core.change { timeline, effects in
            guard timeline.isStarted else { return nil }
            var rejected: [(DependencyRunRequest, SchedulerError)] = []
            for request in requests {
                do throws(SchedulerError) {
                    try timeline.startRequestedRun(
                        request.id, dueDate: request.dueDate.timeIntervalSinceReferenceDate, payload: nil,
                        attempt: request.attempt, completion: .report(to: sink, token: request.token), effects: &effects)
                } catch {
                    rejected.append((request, error))
                }
            }
            return rejected
        }
    }

    /// Fires a run of job `id` for a due date that was in flight when the process stopped (used by
    /// ``PersistentScheduler`` for at-least-once recovery).
    ///
    /// The run goes straight to the executor, like ``runNow(_:)``, whether or not the scheduler is
    /// started and whatever the misfire and overlap policies say: it was already fired once. Its
    /// context carries the original `dueDate` (so the idempotency key is the one the interrupted
    /// run had), `attempt` and the `payload` of the event that fired it. A one-shot job restored
    /// with its only run in flight is already completed; its run still happens again.
    ///
    /// - Throws: ``SchedulerError/jobNotFound(_:)``, ``SchedulerError/jobCancelled(_:)``.
    package func rerunInterruptedRun(of id: JobID, dueDate: Date, attempt: Int, payload: JSONValue? = nil) throws(SchedulerError) {
        let core = self.core
        try core.change { (timeline, effects) throws(SchedulerError) in
            try timeline.startRequestedRun(
                id, dueDate: dueDate.timeIntervalSinceReferenceDate, payload: payload, attempt: attempt, completion: .none,
                effects: &effects)
        }
    }

    /// `trigger` with an unanchored ``IntervalTrigger`` (possibly inside a ``JitteredTrigger``)
    /// anchored at the scheduler clock's current time, as ``schedule(name:trigger:options:_:)``
    /// would store it (used by ``DependencyScheduler`` and ``PersistentScheduler`` to record the
    /// trigger a job really has). Other triggers are returned unchanged.
    package func anchoring(_ trigger: any Trigger) -> any Trigger {
        SchedulerCore.anchor(trigger, at: clock.now.date)
    }

    /// `options` as the scheduler stores them: validated, with the configuration's default
    /// overlap and misfire policies filled in (used by ``PersistentScheduler`` to compare a job's
    /// stored options with new ones).
    ///
    /// - Throws: ``SchedulerError/invalidOption(option:reason:)``, as
    ///   ``schedule(name:trigger:options:_:)`` would.
    package func resolvedOptions(_ options: JobOptions) throws(SchedulerError) -> JobOptions {
        var resolved = options
        try SchedulerCore.validate(&resolved, configuration: configuration)
        return resolved
    }
}
