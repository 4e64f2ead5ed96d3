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
            try await self.run(context, function: function, arguments: arguments)
            return ()
        }
    }

    /// One body for every restored job, which finds the job's function and arguments in its
    /// entry when it runs: restoring 100,000 jobs then allocates no closure per job.
    func makeRestoredBody() -> @Sendable (JobContext) async throws -> any Sendable {
        { [weak self] context in
            guard let self else { throw CancellationError() }
            guard
                let (function, arguments) = self.state.withLock({ state in
                    state.entries[context.jobID].map { ($0.function, $0.arguments) }
                })
            else { throw CancellationError() }
            try await self.run(context, function: function, arguments: arguments.value)
            return ()
        }
    }

    private func run(_ context: JobContext, function: String, arguments: JSONValue) async throws {
        let run = InFlightRun(dueDate: context.dueDate, attempt: context.attempt, payload: context.payload)
        try persist(id: context.jobID, snapshot: scheduler.job(context.jobID), inFlight: .started(run))
        guard let body = state.withLock({ $0.functions[function] }) else {
            throw PersistentSchedulerError.functionNotRegistered(function)
        }
        try await body(context, arguments)
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
                // The record last committed is the document's; a newer snapshot replaces it.
                var base = document.jobs[id]
                if let snapshot, entry.version.map({ snapshot.version > $0 }) ?? true {
                    entry.version = snapshot.version
                    if snapshot.status == .cancelled {
                        entry.removed = true
                        state.entries[id] = entry
                        return base == nil ? [] : [.removeJob(id)]
                    }
                    base = Self.record(of: snapshot, entry: entry)
                }
                state.entries[id] = entry
                guard var record = base else { return [] }
                record.inFlight = entry.inFlight
                return document.jobs[id] == record ? [] : [.putJob(record)]
            }
        }
    }

    static func record(of snapshot: JobSnapshot, entry: Entry) -> PersistedJob? {
        guard let trigger = snapshot.triggerDescription else { return nil }
        let status = snapshot.isPaused && !snapshot.status.isFinished ? JobStatus.paused : snapshot.status
        var record = PersistedJob(
            id: snapshot.id, name: snapshot.name, key: entry.key, function: entry.function,
            trigger: SchedulerValueCoding.json(trigger), options: SchedulerValueCoding.json(snapshot.options),
            status: status.rawValue, counters: snapshot.counters, nextFireDate: snapshot.nextFireDate,
            lastFireDate: snapshot.lastDueDate, inFlight: entry.inFlight)
        record.storedArguments = entry.arguments
        return record
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
        var refused: [(PersistedJob, UnrestoredJob.Reason)] = []
        var restored: [JobID] = []
        restored.reserveCapacity(ids.count)
        var interrupted: [(JobID, [InFlightRun])] = []
        var knownFunction: String?
        let body = makeRestoredBody()
        scheduler.reserveCapacity(forAdditionalJobs: ids.count)
        state.withLock { $0.entries.reserveCapacity($0.entries.count + ids.count) }
        // One pass, one lookup per job: the document holds 100,000s of jobs of ~200 bytes each.
        for id in ids {
            guard let job = document.jobs[id] else { continue }
            if job.function != knownFunction {
                guard functions[job.function] != nil else {
                    refused.append((job, .functionNotRegistered))
                    continue
                }
                knownFunction = job.function
            }
            let trigger: SharedTrigger, options: JobOptions
            do {
                trigger = try builder.sharedTrigger(for: job.trigger, in: scheduler)
                options = try builder.options(for: job.options)
            } catch {
                refused.append((job, .invalid("\(error)")))
                continue
            }
            state.withLock { state in
                state.entries[id] = Entry(
                    key: job.key, function: job.function, arguments: job.storedArguments,
                    inFlight: job.inFlight, restoring: !quietly)
                state.nextJobID = max(state.nextJobID, id.rawValue + 1)
            }
            let status = JobStatus(rawValue: job.status) ?? .pending
            let restoring = RestoredJobState(
                counters: job.counters, lastDueDate: job.lastFireDate, nextDueDate: job.nextFireDate,
                isPaused: status == .paused, finishedStatus: status.isFinished ? status : nil)
            do {
                try scheduler.schedule(id: id, name: job.name, trigger: trigger, options: options, restoring: restoring, body)
                restored.append(id)
                if !job.inFlight.isEmpty { interrupted.append((id, job.inFlight)) }
            } catch {
                _ = state.withLock { $0.entries.removeValue(forKey: id) }
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
        for (id, runs) in interrupted {
            for run in runs {
                try? scheduler.rerunInterruptedRun(of: id, dueDate: run.dueDate, attempt: run.attempt + 1, payload: run.payload)
            }
        }
    }

}

/// Rebuilds stored triggers, parsing each distinct cron expression and looking up each time zone
/// once: jobs restored together often share them, and a zone lookup costs more than the rest of
/// a job's restore.
struct TriggerBuilder {
    /// The most distinct stored triggers kept for sharing between jobs.
    static let sharedTriggerLimit = 4096

    private var zones: [String: TimeZone] = [:]
    private var expressions: [String: CronExpression] = [:]
    /// Cron triggers (alone or jittered) by description, not by stored JSON: hashing a
    /// description is a few strings and numbers, hashing its JSON object hashes every member
    /// separately (restoring 100,000 jobs spent half its time there). Other triggers are cheap to
    /// build and rarely equal (an interval's start is the instant it was scheduled): looking
    /// them up would cost more than it saves.
    private var shared: [TriggerDescription: SharedTrigger] = [:]
    private var lastOptions: (json: JSONValue, options: JobOptions)?

    /// The trigger stored as `json`, in the form `scheduler`'s jobs share: jobs with the same
    /// stored trigger get one.
    mutating func sharedTrigger(for json: JSONValue, in scheduler: Scheduler) throws -> SharedTrigger {
        let description = try SchedulerValueCoding.trigger(json)
        let isShared: Bool
        switch description {
        case .cron, .jittered(.cron, _): isShared = true
        case .once, .interval, .signal, .manual, .jittered: isShared = false
        }
        guard isShared else { return scheduler.sharedTrigger(try trigger(for: description)) }
        if let found = shared[description] { return found }
        let trigger = scheduler.sharedTrigger(try self.trigger(for: description))
        if shared.count < Self.sharedTriggerLimit { shared[description] = trigger }
        return trigger
    }

    /// The options stored as `json`, with `startPaused` off (a restored job's pause is its
    /// stored status); consecutive jobs with the same options are converted once.
    mutating func options(for json: JSONValue) throws(SchedulerValueCoding.Failure) -> JobOptions {
        if let last = lastOptions, last.json == json { return last.options }
        var options = try SchedulerValueCoding.options(json)
        options.startPaused = false
        lastOptions = (json, options)
        return options
    }

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
            return try CronTrigger(expression, timeZone: zone, startingAt: start, until: end)
        default:
            return try description.makeTrigger()
        }
    }
}
