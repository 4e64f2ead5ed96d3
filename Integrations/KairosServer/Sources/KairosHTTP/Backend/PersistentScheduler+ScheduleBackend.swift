import Foundation
import Kairos

/// The embedded state file as the API's store: one process, every change fsynced before the
/// call returns.
extension PersistentScheduler: ScheduleBackend {
    public var now: Date { scheduler.configuration.clock.now.date }

    /// Declares the job on a thread of ``StateFileWriters`` and returns once it is durable: the
    /// declaration waits for an fsync, which must not hold one of the few threads that run
    /// requests, and declarations waiting at once share one fsync.
    public func declare(
        key: String, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions
    ) async throws -> JobID {
        try await StateFileWriters.pool.runIfActive {
            try self.schedule(key: key, name: name, function: function, arguments: arguments, trigger: trigger, options: options)
        }
    }

    public func keyedJobs() -> [String: JobID] { jobKeys }

    public func storedDeclaration(forKey key: String) -> ScheduleDeclaration? {
        guard let stored = declaration(forKey: key) else { return nil }
        return ScheduleDeclaration(name: stored.name, function: stored.function, arguments: stored.arguments)
    }

    public func state(of id: JobID) -> ScheduleState? {
        guard let job = job(id) else { return nil }
        return ScheduleState(
            jobID: job.id, status: job.status, trigger: job.triggerDescription, options: job.options, isPaused: job.isPaused,
            counters: job.counters, activeRuns: job.activeRuns, lastDueDate: job.lastDueDate, lastStartDate: job.lastStartDate,
            lastDuration: job.lastDuration, lastOutcome: job.lastOutcome.map(RunRecord.Outcome.init), lastError: job.lastError.map { String(describing: $0) })
    }

    public func nextFireDates(of id: JobID, count: Int) throws -> [Date] {
        try scheduler.nextFireDates(of: id, count: count)
    }

    public func runNow(_ id: JobID) throws {
        guard job(id) != nil else { throw SchedulerError.jobNotFound(id) }
        let scheduler = self.scheduler
        Task { _ = try? await scheduler.runNow(id) }
    }

    public func onEvent(_ handler: @escaping @Sendable (ScheduleEvent) -> Void) -> ScheduleEventSubscription {
        let scheduler = self.scheduler
        let token = scheduler.onEvent { handler(ScheduleEvent($0)) }
        return ScheduleEventSubscription { scheduler.removeEventHandler(token) }
    }

    public func gauges() -> ScheduleGauges {
        let stats = scheduler.stats
        return ScheduleGauges(
            jobs: stats.jobs, pausedJobs: stats.pausedJobs, activeRuns: stats.activeRuns, waitingRuns: stats.activeRuns - stats.executingRuns)
    }

    public func sleep(for duration: Duration) async throws {
        let clock = scheduler.configuration.clock
        try await clock.sleep(until: clock.now.date.addingTimeInterval(duration.inSeconds))
    }

    public func checkReady() throws {
        if let failure { throw PersistentSchedulerError.persistence(failure) }
    }
}

extension RunRecord.Outcome {
    /// How a Kairos run ended.
    init(_ outcome: RunOutcome) {
        switch outcome {
        case .success: self = .succeeded
        case .failure: self = .failed
        case .timedOut: self = .timedOut
        case .cancelled: self = .cancelled
        }
    }
}
