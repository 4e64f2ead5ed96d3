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
            let run = InFlightRun(dueDate: context.dueDate, attempt: context.attempt, payload: context.payload)
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
        let status = snapshot.isPaused && !snapshot.status.isFinished ? JobStatus.paused : snapshot.status
        return PersistedJob(
            id: snapshot.id, name: snapshot.name, function: entry.function, arguments: entry.arguments,
            trigger: SchedulerValueCoding.json(trigger), options: SchedulerValueCoding.json(snapshot.options),
            status: status.rawValue, counters: snapshot.counters, nextFireDate: snapshot.nextFireDate,
            lastFireDate: snapshot.lastDueDate, inFlight: entry.inFlight)
    }

    // MARK: - Recovery

    /// Puts persisted jobs back into the scheduler, or into ``unrestoredJobs``, and reruns the
    /// runs they had in flight.
    ///
    /// With `quietly`, the caller has removed the state-change observer (nothing else runs yet):
    /// the `scheduled` and `completed` changes of restored jobs are already on disk, and skipping
    /// their snapshots makes restoring 100,000 jobs several times faster. The observer must be
    /// back before the in-flight runs start, so they are rerun by `afterRestoring`.
    func restore(_ ids: [JobID], from document: StateDocument, quietly: Bool = false, afterRestoring: () -> Void = {}) {
        let functions = state.withLock { $0.functions }
        var builder = TriggerBuilder()
        var prepared: [(id: JobID, trigger: any Trigger, options: JobOptions)] = []
        prepared.reserveCapacity(ids.count)
        var refused: [(PersistedJob, UnrestoredJob.Reason)] = []
        for id in ids {
            guard let job = document.jobs[id] else { continue }
            guard functions[job.function] != nil else {
                refused.append((job, .functionNotRegistered))
                continue
            }
            do {
                let trigger = try builder.trigger(for: SchedulerValueCoding.trigger(job.trigger))
                var options = try SchedulerValueCoding.options(job.options)
                options.startPaused = false
                prepared.append((id, trigger, options))
            } catch {
                refused.append((job, .invalid("\(error)")))
            }
        }
        state.withLock { state in
            state.entries.reserveCapacity(state.entries.count + prepared.count)
            for (id, _, _) in prepared {
                let job = document.jobs[id]!
                state.entries[job.id] = Entry(function: job.function, arguments: job.arguments, inFlight: job.inFlight,
                                              record: job, restoring: !quietly)
                state.nextJobID = max(state.nextJobID, job.id.rawValue + 1)
            }
        }
        var restored: [JobID] = []
        restored.reserveCapacity(prepared.count)
        for (id, trigger, options) in prepared {
            let job = document.jobs[id]!
            let status = JobStatus(rawValue: job.status) ?? .pending
            let restoring = RestoredJobState(
                counters: job.counters, lastDueDate: job.lastFireDate, nextDueDate: job.nextFireDate,
                isPaused: status == .paused, finishedStatus: status.isFinished ? status : nil)
            do {
                try scheduler.schedule(id: job.id, name: job.name, trigger: trigger, options: options, restoring: restoring,
                                       makeBody(function: job.function, arguments: job.arguments))
                restored.append(id)
            } catch {
                _ = state.withLock { $0.entries.removeValue(forKey: job.id) }
                refused.append((job, .invalid(error.description)))
            }
        }
        state.withLock { state in
            for id in restored where !quietly { state.entries[id]?.restoring = false }
            for (job, reason) in refused {
                state.unrestored[job.id] = UnrestoredJob(id: job.id, name: job.name, function: job.function, reason: reason)
            }
        }
        afterRestoring()
        for id in restored {
            for run in document.jobs[id]!.inFlight {
                try? scheduler.rerunInterruptedRun(of: id, dueDate: run.dueDate, attempt: run.attempt + 1, payload: run.payload)
            }
        }
    }

}

/// Rebuilds stored triggers, parsing each distinct cron expression and looking up each time zone
/// once: jobs restored together often share them, and a zone lookup costs more than the rest of
/// a job's restore.
struct TriggerBuilder {
    private var zones: [String: TimeZone] = [:]
    private var expressions: [String: CronExpression] = [:]

    mutating func trigger(for description: TriggerDescription) throws -> any Trigger {
        switch description {
        case let .cron(text, zoneName, start, end):
            let zone: TimeZone
            if let cached = zones[zoneName] {
                zone = cached
            } else {
                guard let found = TimeZone(identifier: zoneName) else {
                    throw TriggerError(parameter: "timeZone", reason: "unknown time zone identifier '\(zoneName)'")
                }
                zone = found
                zones[zoneName] = found
            }
            let expression: CronExpression
            if let cached = expressions[text] {
                expression = cached
            } else {
                do {
                    expression = try CronExpression(text)
                } catch {
                    throw TriggerError(parameter: "expression", reason: error.description)
                }
                expressions[text] = expression
            }
            return CronTrigger(expression, timeZone: zone, startingAt: start, until: end)
        default:
            return try description.makeTrigger()
        }
    }
}
