import Foundation

/// Package-level operations for tools built on `PersistentScheduler` (`kairos run`).
extension PersistentScheduler {
    /// The persisted jobs, as stored (restored or not), ordered by ID.
    package var persistedJobs: [PersistedJob] {
        store.document.jobs.values.sorted { $0.id < $1.id }
    }

    /// Removes a persisted job that is not running in this process (call before ``start()`` to
    /// drop jobs that should not be restored).
    package func discardPersistedJob(_ id: JobID) throws(PersistentSchedulerError) {
        _ = state.withLock { $0.unrestored.removeValue(forKey: id) }
        do {
            try store.commit { (document: StateDocument) -> [StateChange] in
                document.jobs[id] == nil ? [] : [.removeJob(id)]
            }
        } catch {
            throw .persistence(error)
        }
    }

    /// Adds a job to the underlying scheduler that is not persisted (its ID is taken from the
    /// persistent sequence, so it never collides with a persisted job's).
    @discardableResult
    package func scheduleUnpersisted(
        name: String, trigger: any Trigger, options: JobOptions,
        _ body: @escaping @Sendable (JobContext) async throws -> Void
    ) throws(SchedulerError) -> JobID {
        let id = state.withLock { state -> JobID in
            defer { state.nextJobID += 1 }
            return JobID(rawValue: state.nextJobID)
        }
        return try scheduler.schedule(id: id, name: name, trigger: trigger, options: options) { context in
            try await body(context)
            return ()
        }
    }
}
