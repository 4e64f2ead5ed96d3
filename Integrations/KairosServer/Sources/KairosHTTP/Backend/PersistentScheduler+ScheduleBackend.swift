import Foundation
import Kairos

/// The embedded state file as the API's store: one process, every change fsynced before the
/// call returns.
extension PersistentScheduler: ScheduleBackend {
    public var now: Date { scheduler.configuration.clock.now.date }

    public func declare(
        key: String, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions
    ) throws -> JobID {
        try schedule(key: key, name: name, function: function, arguments: arguments, trigger: trigger, options: options)
    }

    public func keyedJobs() -> [String: JobID] { jobKeys }

    public func storedDeclaration(forKey key: String) -> ScheduleDeclaration? {
        guard let stored = declaration(forKey: key) else { return nil }
        return ScheduleDeclaration(name: stored.name, function: stored.function, arguments: stored.arguments)
    }

    public func nextFireDates(of id: JobID, count: Int) throws -> [Date] {
        try scheduler.nextFireDates(of: id, count: count)
    }

    public func runNow(_ id: JobID) throws {
        guard job(id) != nil else { throw SchedulerError.jobNotFound(id) }
        let scheduler = self.scheduler
        Task { _ = try? await scheduler.runNow(id) }
    }

    public func onEvent(_ handler: @escaping @Sendable (SchedulerEvent) -> Void) -> EventHandlerToken {
        scheduler.onEvent(handler)
    }

    public func removeEventHandler(_ token: EventHandlerToken) { scheduler.removeEventHandler(token) }

    public var stats: SchedulerStats { scheduler.stats }

    public func sleep(for duration: Duration) async throws {
        let clock = scheduler.configuration.clock
        try await clock.sleep(until: clock.now.date.addingTimeInterval(duration.inSeconds))
    }

    public func checkReady() throws {
        if let failure { throw PersistentSchedulerError.persistence(failure) }
    }
}
