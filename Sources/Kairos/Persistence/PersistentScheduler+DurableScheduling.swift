import Foundation

/// `PersistentScheduler` as a ``DurableJobScheduler``: its own methods, plus the few the protocol
/// adds (an optional key, a run requested without waiting, jobs as the state file holds them).
extension PersistentScheduler: DurableJobScheduler {
    /// Declares the job stored under `key` (see
    /// ``schedule(key:name:function:arguments:trigger:options:)-(String,_,_,_,_,_)``), or, with no
    /// key, adds a job (see ``schedule(name:function:arguments:trigger:options:)``).
    @discardableResult
    public func schedule(
        key: String?, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions
    ) throws(PersistentSchedulerError) -> JobID {
        guard let key else {
            return try schedule(name: name, function: function, arguments: arguments, trigger: trigger, options: options)
        }
        return try schedule(key: key, name: name, function: function, arguments: arguments, trigger: trigger, options: options)
    }

    /// Starts a run of the job now, besides its trigger's, and returns without waiting for it; the
    /// run is recorded like any other (it runs again after a crash).
    ///
    /// - Throws: ``PersistentSchedulerError/scheduler(_:)`` for an unknown or finished job, or one
    ///   that reached its `maxRuns`.
    public func runNow(_ id: JobID) throws(PersistentSchedulerError) {
        do { try scheduler.runNow(id, completion: { _ in }) } catch { throw .scheduler(error) }
    }

    /// The job as the state file holds it, with its live status, counters and due dates if it
    /// runs in this process; `nil` for an unknown job (or a DAG job).
    public func storedJob(_ id: JobID) -> StoredJob? {
        store.document.jobs[id].flatMap(storedJob(from:))
    }

    /// The jobs the state file holds (DAG jobs aside), or those with `status`, ordered by ID.
    public func storedJobs(status: JobStatus? = nil) -> [StoredJob] {
        store.document.jobs.values.compactMap(storedJob(from:))
            .filter { status == nil || $0.status == status }
            .sorted { $0.id < $1.id }
    }

    private func storedJob(from persisted: PersistedJob) -> StoredJob? {
        guard let trigger = try? SchedulerValueCoding.trigger(persisted.trigger) else { return nil }
        var job = StoredJob(
            id: persisted.id, key: persisted.key, name: persisted.name, function: persisted.function,
            arguments: persisted.arguments, trigger: trigger,
            options: (try? SchedulerValueCoding.options(persisted.options)) ?? JobOptions(),
            status: JobStatus(rawValue: persisted.status) ?? .pending, counters: persisted.counters,
            nextDueDate: persisted.nextFireDate, lastDueDate: persisted.lastFireDate)
        if let live = scheduler.job(persisted.id) {
            job.status = live.status
            job.counters = live.counters
            job.nextDueDate = live.nextFireDate
            job.lastDueDate = live.lastDueDate
        }
        return job
    }
}
