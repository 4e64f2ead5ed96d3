import Foundation

/// How the scheduler's changes reach the state file.
extension PersistentScheduler {
    enum InFlightChange {
        case none
        case started(InFlightRun)
        case finished(Date)
    }

    /// The body the scheduler runs for a persisted job: record the start durably, then call the
    /// registered function.
    func makeBody(function: String, arguments: JSONValue) -> @Sendable (JobContext) async throws -> any Sendable {
        { [weak self] context in
            guard let self else { throw CancellationError() }
            let run = InFlightRun(dueDate: context.dueDate, attempt: context.attempt)
            try self.persist(id: context.jobID, snapshot: self.scheduler.job(context.jobID), inFlight: .started(run))
            guard let body = self.state.withLock({ $0.functions[function] }) else {
                throw PersistentSchedulerError.functionNotRegistered(function)
            }
            try await body(context, arguments)
            return ()
        }
    }

    /// The observer of every scheduler change: fires are recorded when their run starts; all
    /// else is recorded as it happens.
    func observe(_ change: JobStateChange) {
        var inFlight = InFlightChange.none
        switch change.kind {
        case .fired:
            return
        case .scheduled:
            let restoring = state.withLock { $0.entries[change.snapshot.id]?.restoring ?? false }
            if restoring { return }
        case .succeeded, .failed, .timedOut, .runCancelled:
            if let due = change.dueDate { inFlight = .finished(due) }
        default:
            break
        }
        // The change's snapshot was taken mid-way through the scheduler's step (a `missed` change
        // precedes the new next fire date); the job's current snapshot, read now that the step is
        // over, is complete and newer. A failure stops the store, which then says why
        // (`failure`); the observer cannot throw.
        let id = change.snapshot.id
        try? persist(id: id, snapshot: scheduler.job(id) ?? change.snapshot, inFlight: inFlight)
    }

    /// Makes the job's current state durable (a no-op if it already is).
    func persistCurrentState(of id: JobID) throws(PersistentSchedulerError) {
        do {
            try persist(id: id, snapshot: scheduler.job(id), inFlight: .none)
        } catch {
            throw .persistence(error)
        }
    }

    /// Writes the job's record built from `snapshot` (unless a newer one was written) and the
    /// in-flight change.
    func persist(id: JobID, snapshot: JobSnapshot?, inFlight change: InFlightChange) throws(PersistenceError) {
        try store.commit { (document: StateDocument) -> [StateChange] in
            state.withLock { state -> [StateChange] in
                guard var entry = state.entries[id], !entry.removed else { return [] }
                switch change {
                case .none: break
                case .started(let run):
                    entry.inFlight.removeAll { $0.dueDate == run.dueDate }
                    entry.inFlight.append(run)
                case .finished(let due):
                    if let index = entry.inFlight.firstIndex(where: { $0.dueDate == due }) { entry.inFlight.remove(at: index) }
                }
                if let snapshot, snapshot.version > entry.version ?? 0 || entry.record == nil {
                    entry.version = snapshot.version
                    if snapshot.status == .cancelled {
                        entry.removed = true
                        state.entries[id] = entry
                        return document.jobs[id] == nil ? [] : [.removeJob(id)]
                    }
                    entry.record = Self.record(of: snapshot, entry: entry)
                }
                guard var record = entry.record else {
                    state.entries[id] = entry
                    return []
                }
                record.inFlight = entry.inFlight
                entry.record = record
                state.entries[id] = entry
                return document.jobs[id] == record ? [] : [.putJob(record)]
            }
        }
    }

    static func record(of snapshot: JobSnapshot, entry: Entry) -> PersistedJob? {
        guard let trigger = snapshot.triggerDescription else { return nil }
        let counters = snapshot.counters
        var persisted = PersistedJob.Counters()
        persisted.runs = counters.runs
        persisted.failures = counters.failures
        persisted.timeouts = counters.timeouts
        persisted.missed = counters.missed
        persisted.overlapSkipped = counters.overlapSkipped
        persisted.bufferDropped = counters.bufferDropped
        let status = snapshot.isPaused && !snapshot.status.isFinished ? JobStatus.paused : snapshot.status
        return PersistedJob(
            id: snapshot.id, name: snapshot.name, function: entry.function, arguments: entry.arguments,
            trigger: SchedulerValueCoding.json(trigger), options: SchedulerValueCoding.json(snapshot.options),
            status: status.rawValue, counters: persisted, nextFireDate: snapshot.nextFireDate,
            lastFireDate: snapshot.lastDueDate, inFlight: entry.inFlight)
    }

    // MARK: - Recovery

    /// Puts persisted jobs back into the scheduler, or into ``unrestoredJobs``.
    func restore(_ jobs: [PersistedJob]) {
        // Jobs often share a schedule: rebuild each distinct trigger and options value once
        // (a cron trigger parses its expression and looks up its time zone).
        var triggers: [JSONValue: any Trigger] = [:]
        var optionValues: [JSONValue: JobOptions] = [:]
        for job in jobs {
            let registered = state.withLock { $0.functions[job.function] != nil }
            guard registered else {
                unrestorable(job, .functionNotRegistered)
                continue
            }
            let trigger: any Trigger
            var options: JobOptions
            do {
                if let cached = triggers[job.trigger] {
                    trigger = cached
                } else {
                    trigger = try SchedulerValueCoding.trigger(job.trigger).makeTrigger()
                    triggers[job.trigger] = trigger
                }
                if let cached = optionValues[job.options] {
                    options = cached
                } else {
                    options = try SchedulerValueCoding.options(job.options)
                    optionValues[job.options] = options
                }
            } catch {
                unrestorable(job, .invalid("\(error)"))
                continue
            }
            options.startPaused = false
            let status = JobStatus(rawValue: job.status) ?? .pending
            var counters = JobCounters()
            counters.runs = job.counters.runs
            counters.failures = job.counters.failures
            counters.timeouts = job.counters.timeouts
            counters.missed = job.counters.missed
            counters.overlapSkipped = job.counters.overlapSkipped
            counters.bufferDropped = job.counters.bufferDropped
            let restoring = RestoredJobState(
                counters: counters, lastDueDate: job.lastFireDate, nextDueDate: job.nextFireDate,
                isPaused: status == .paused, finishedStatus: status.isFinished ? status : nil)
            state.withLock { state in
                state.entries[job.id] = Entry(function: job.function, arguments: job.arguments, inFlight: job.inFlight,
                                              record: job, restoring: true)
                state.nextJobID = max(state.nextJobID, job.id.rawValue + 1)
            }
            do {
                try scheduler.schedule(id: job.id, name: job.name, trigger: trigger, options: options, restoring: restoring,
                                       makeBody(function: job.function, arguments: job.arguments))
            } catch {
                _ = state.withLock { $0.entries.removeValue(forKey: job.id) }
                unrestorable(job, .invalid(error.description))
                continue
            }
            state.withLock { $0.entries[job.id]?.restoring = false }
            for run in job.inFlight {
                try? scheduler.rerunInterruptedRun(of: job.id, dueDate: run.dueDate, attempt: run.attempt + 1)
            }
        }
    }

    private func unrestorable(_ job: PersistedJob, _ reason: UnrestoredJob.Reason) {
        state.withLock { state in
            state.unrestored[job.id] = UnrestoredJob(id: job.id, name: job.name, function: job.function, reason: reason)
        }
    }
}
