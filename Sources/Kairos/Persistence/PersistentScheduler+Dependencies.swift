import Foundation
import KairosPlatform

/// Durable dependency graphs: DAG jobs that run registered functions, with their edges, their
/// past runs and the DAG runs in progress stored in the state (SPEC §7.8).
///
/// The graph is a ``DependencyScheduler`` owned by the persistent scheduler, on its scheduler.
/// The graph reports every change in order; each is journaled before the call that made it
/// returns, and a run is started only after the change that started it is durable.
extension PersistentScheduler {
    /// What this process knows of a DAG job.
    struct DAGEntry {
        var name: String
        var function: String
        var arguments: JSONValue
        /// Why a restored job's stored trigger or options could not be rebuilt (it then never runs).
        var invalidReason: String?
    }

    // MARK: - Building the graph

    /// Adds a job of the durable dependency graph that runs the function registered as
    /// `function` with `arguments`, and returns once it is durable.
    ///
    /// A root (no `dependsOn`) needs a built-in `trigger`; a dependent has none and runs when its
    /// upstream jobs' runs finish, per `options.triggerRule` (SPEC §5). The job's ID is allocated
    /// like other persisted jobs' and is stable across restarts. The stored graph is rebuilt by
    /// ``start()``: add jobs that depend on stored ones after it.
    ///
    /// Each call adds a job: a program that declares its graph at every start-up uses
    /// ``scheduleDependencyJob(key:name:function:arguments:trigger:dependsOn:options:)``.
    ///
    /// - Parameters:
    ///   - name: the job's name (in cycle errors, snapshots and events).
    ///   - function: the name of a registered function.
    ///   - arguments: passed to the function on every run; stored in the state file.
    ///   - trigger: a root's trigger (built-in triggers only); `nil` for a dependent.
    ///   - upstream: the upstream DAG jobs of this scheduler.
    ///   - options: trigger rule, retry, timeout, `dependsOnPast`, priority, and for a root the
    ///     misfire policy of its trigger; all are persisted.
    /// - Throws: ``PersistentSchedulerError/functionNotRegistered(_:)``,
    ///   ``PersistentSchedulerError/triggerNotPersistable(_:)``,
    ///   ``PersistentSchedulerError/dependency(_:)`` (unknown upstream job, missing trigger,
    ///   trigger on a dependent, invalid option), ``PersistentSchedulerError/persistence(_:)`` if
    ///   the state has stopped.
    /// - Complexity: O(upstream jobs + DAG runs in progress) plus one journal append and fsync.
    @discardableResult
    public func scheduleDependencyJob(
        name: String, function: String, arguments: JSONValue = nil, trigger: (any Trigger)? = nil,
        dependsOn upstream: [JobID] = [], options: DependencyJobOptions = DependencyJobOptions()
    ) throws(PersistentSchedulerError) -> JobID {
        try addDependencyJob(
            key: nil, name: name, function: function, arguments: arguments, trigger: trigger,
            dependsOn: upstream, options: options)
    }

    /// Adds a DAG job, with `key` if not `nil` (the caller holds the key lock and checked the key).
    func addDependencyJob(
        key: String?, name: String, function: String, arguments: JSONValue, trigger: (any Trigger)?,
        dependsOn upstream: [JobID], options: DependencyJobOptions
    ) throws(PersistentSchedulerError) -> JobID {
        var stored: TriggerDescription?
        var anchored: (any Trigger)?
        if let trigger {
            anchored = scheduler.anchoring(trigger)
            guard let description = TriggerDescription(anchored!) else {
                throw .triggerNotPersistable(String(describing: type(of: trigger)))
            }
            stored = description
        }
        if let failure = store.failure { throw .persistence(failure) }
        var upstreamIDs: [JobID] = []
        for id in upstream where !upstreamIDs.contains(id) { upstreamIDs.append(id) }
        let first = anchored.flatMap(firstDueDate(of:))
        let (id, triggerJobID) = try state.withLock { state throws(PersistentSchedulerError) -> (JobID, JobID?) in
            guard state.functions[function] != nil else { throw .functionNotRegistered(function) }
            let id = JobID(rawValue: state.nextJobID)
            state.nextJobID += 1
            var triggerJobID: JobID?
            if anchored != nil {
                triggerJobID = JobID(rawValue: state.nextJobID)
                state.nextJobID += 1
            }
            state.dagJobs[id] = DAGEntry(name: name, function: function, arguments: arguments)
            state.dagJobsBeingAdded[id] = PersistedDAGJob(
                id: id, name: name, key: key, function: function, arguments: arguments, trigger: stored.map(SchedulerValueCoding.json),
                options: options, upstream: upstreamIDs, first: first)
            return (id, triggerJobID)
        }
        do throws(DependencyError) {
            try dependencies.add(
                id: id, triggerJobID: triggerJobID, name: name, trigger: anchored, dependsOn: upstreamIDs,
                options: options, makeDependencyBody(id))
        } catch {
            state.withLock { state in
                state.dagJobsBeingAdded[id] = nil
                if case .persistence = error { return }
                state.dagJobs[id] = nil
            }
            throw Self.error(error)
        }
        return id
    }

    /// Makes DAG job `job` depend on `upstream`, durably. See
    /// ``DependencyScheduler/addDependency(_:dependsOn:)``: a rejected edge (a cycle, named in
    /// the error) changes nothing.
    ///
    /// - Throws: ``PersistentSchedulerError/dependency(_:)`` with ``DependencyError/cycle(_:)``,
    ///   ``DependencyError/unknownJob(_:)`` or ``DependencyError/triggerOnDependent(job:)``;
    ///   ``PersistentSchedulerError/persistence(_:)`` if the state has stopped.
    /// - Complexity: O(jobs upstream of `upstream` + edges among them) for the cycle check, plus
    ///   one journal append and fsync.
    public func addDependency(_ job: JobID, dependsOn upstream: JobID) throws(PersistentSchedulerError) {
        if let failure = store.failure { throw .persistence(failure) }
        do { try dependencies.addDependency(job, dependsOn: upstream) } catch { throw Self.error(error) }
    }

    /// Removes a DAG job that no DAG job depends on, durably (as ``DependencyScheduler/remove(_:)``): its runs in progress are cancelled,
    /// a root's trigger stops, and it leaves the DAG runs in progress. ``cancel(_:)`` does the
    /// same for a DAG job.
    ///
    /// - Returns: `false` if no DAG job has this ID.
    /// - Throws: ``PersistentSchedulerError/dependency(_:)`` with
    ///   ``DependencyError/hasDependents(job:dependents:)``; ``PersistentSchedulerError/persistence(_:)``.
    /// - Complexity: O(upstream edges of the job + DAG runs in progress), plus one journal append
    ///   and fsync.
    @discardableResult
    public func remove(_ id: JobID) throws(PersistentSchedulerError) -> Bool {
        if let failure = store.failure { throw .persistence(failure) }
        let removed: Bool
        do { removed = try dependencies.remove(id) } catch { throw Self.error(error) }
        if removed { _ = state.withLock { $0.dagJobs.removeValue(forKey: id) } }
        return removed
    }

    // MARK: - Reading the graph

    /// The DAG run for `dueDate`, in progress or among the last 1,000 finished in this process.
    /// See ``DependencyScheduler/dagRun(at:)``.
    public func dagRun(at dueDate: Date) -> DAGRun? { dependencies.dagRun(at: dueDate) }

    /// The DAG runs in progress, restored ones included, oldest due date first.
    public var activeDAGRuns: [DAGRun] { dependencies.activeDAGRuns }

    /// Waits until the DAG run for `dueDate` has finished. See
    /// ``DependencyScheduler/waitForDAGRun(at:)``.
    public func waitForDAGRun(at dueDate: Date) async -> DAGRun? { await dependencies.waitForDAGRun(at: dueDate) }

    /// The latest finished runs of a DAG job (up to 64, persisted), oldest first.
    public func dependencyRuns(of job: JobID) -> [DependencyRun] { dependencies.runs(of: job) }

    /// The DAG jobs `job` depends on, in the order the edges were added.
    public func upstream(of job: JobID) -> [JobID] { dependencies.upstream(of: job) }

    /// The DAG jobs that depend on `job`.
    public func downstream(of job: JobID) -> [JobID] { dependencies.downstream(of: job) }

    // MARK: - Internals

    /// A root's first due date from now, for an anchored trigger: the date a ``OnceTrigger`` is
    /// for (even if past), else the first fire date at or after now.
    func firstDueDate(of anchored: any Trigger) -> Date? {
        let now = scheduler.clock.now.date
        return (anchored as? OnceTrigger)?.date ?? anchored.nextFireDate(after: Date(timeIntervalSinceReferenceDate: now.timeIntervalSinceReferenceDate.nextDown))
    }

    static func error(_ error: DependencyError) -> PersistentSchedulerError {
        if case .persistence(let failure) = error { return .persistence(failure) }
        return .dependency(error)
    }

    /// DAG jobs that cannot run here: their function is not registered, or a root's stored
    /// trigger could not be rebuilt. Called under the state's lock.
    static func unrestoredDependencyJobs(in state: State) -> [UnrestoredJob] {
        state.dagJobs.compactMap { id, entry in
            if let reason = entry.invalidReason {
                return UnrestoredJob(id: id, name: entry.name, function: entry.function, reason: .invalid(reason))
            }
            guard state.functions[entry.function] == nil else { return nil }
            return UnrestoredJob(id: id, name: entry.name, function: entry.function, reason: .functionNotRegistered)
        }
    }

    /// The body of a DAG job: refuses to run once the state has stopped or was closed (its start
    /// could not be recorded), then calls the registered function.
    func makeDependencyBody(_ id: JobID) -> @Sendable (JobContext) async throws -> Void {
        { [store, state, stateFile] context in
            if let failure = store.failure { throw failure }
            let call = try state.withLock { state throws(PersistenceError) -> (JobFunction, JSONValue)? in
                if state.isClosed { throw .stopped(file: stateFile, reason: "the state was closed") }
                guard let entry = state.dagJobs[id], let body = state.functions[entry.function] else { return nil }
                return (body, entry.arguments)
            }
            guard let (body, arguments) = call else { throw PersistentSchedulerError.functionNotRegistered("\(id)") }
            try await body(context, arguments)
        }
    }

    /// A run of a DAG job starts only while its function is registered; otherwise it waits
    /// (state `running`) until ``register(_:_:)`` registers it.
    static func dependencyLaunchGate(state: LockedState<State>) -> DependencyScheduler.LaunchGate {
        { id in
            state.withLock { state in
                guard let entry = state.dagJobs[id] else { return true }
                return entry.invalidReason == nil && state.functions[entry.function] != nil
            }
        }
    }

    /// Journals the graph's changes: every change logged so far, by any thread, goes into one
    /// record, in the order the graph made them.
    static func dependencyRecorder(store: StateStore, state: LockedState<State>) -> DependencyScheduler.Recorder {
        { drain throws(PersistenceError) in
            if let failure = store.failure {
                _ = drain()
                throw failure
            }
            var committed = false
            try store.commit { (_: StateDocument) -> [StateChange] in
                let changes = stateChanges(from: drain(), state: state)
                committed = !changes.isEmpty
                return changes
            }
            // Another thread may have taken this thread's changes into its record: wait for it.
            if !committed { try store.waitUntilDurable() }
        }
    }

    /// The journal changes for the graph's changes: consecutive changes to one DAG run become
    /// one `updateDAGRun`, with each job's latest phase.
    static func stateChanges(from log: [DependencyChange], state: LockedState<State>) -> [StateChange] {
        var changes: [StateChange] = []
        var due: Date?
        var runs: [JobID: PersistedDAGJobRun] = [:]
        var order: [JobID] = []
        var finished = false
        func flush() {
            guard let date = due else { return }
            changes.append(.dag(.updateRun(due: date, jobs: order.map { runs[$0]! }, finished: finished)))
            due = nil
            runs = [:]
            order = []
            finished = false
        }
        for change in log {
            switch change {
            case let .run(date, job, phase, attempts):
                if due != date || finished {
                    flush()
                    due = date
                }
                if runs[job] == nil { order.append(job) }
                runs[job] = PersistedDAGJobRun(id: job, phase: phase, attempts: attempts)
            case .dagRunFinished(let date):
                if due != date {
                    flush()
                    due = date
                }
                finished = true
            case .jobAdded(let id):
                flush()
                if let job = state.withLock({ $0.dagJobsBeingAdded.removeValue(forKey: id) }) { changes.append(.dag(.putJob(job))) }
            case let .edgeAdded(id, upstream):
                flush()
                changes.append(.dag(.addEdge(job: id, upstream: upstream)))
            case let .edgeRemoved(id, upstream):
                flush()
                changes.append(.dag(.removeEdge(job: id, upstream: upstream)))
            case .jobRemoved(let id):
                flush()
                changes.append(.dag(.removeJob(id)))
            case let .rootFired(id, date):
                flush()
                changes.append(.dag(.rootFired(job: id, due: date)))
            }
        }
        flush()
        return changes
    }

    /// The fire date of one of `triggers` that `date` stands for. Dates are stored as seconds since
    /// 1970, which can move a fractional date by a rounding step; the DAG run of a restored root
    /// must have the exact date its trigger fires at, or the root would not join it.
    static func fireDate(near date: Date, of triggers: [any Trigger]) -> Date {
        for trigger in triggers {
            if let fire = trigger.nextFireDate(after: date.addingTimeInterval(-1e-3)), abs(fire.timeIntervalSince(date)) < 1e-5 { return fire }
        }
        return date
    }

    /// Rebuilds the stored graph and resumes its DAG runs in progress (called once, by
    /// ``start()``, before the scheduler starts): runs that were running or waiting to retry run
    /// again; each root's trigger continues from its latest fire date, so the fire dates missed
    /// while down go through its misfire policy.
    func restoreDependencies(from document: StateDocument) {
        let dag = document.dag
        guard !dag.jobs.isEmpty else { return }
        var builder = TriggerBuilder()
        var nodes: [DependencyGraph.RestoredNode] = []
        var entries: [JobID: DAGEntry] = [:]
        var triggers: [JobID: any Trigger] = [:]
        // Jobs added before start() are in the document and already in the graph.
        for id in dag.jobs.keys.sorted() where !dependencies.contains(id) {
            let job = dag.jobs[id]!
            var entry = DAGEntry(name: job.name, function: job.function, arguments: job.arguments)
            var trigger: (any Trigger)?
            if let stored = job.trigger {
                do {
                    trigger = try builder.trigger(for: SchedulerValueCoding.trigger(stored))
                } catch {
                    entry.invalidReason = "\(error)"
                    trigger = ManualTrigger()
                }
            }
            var options = DependencyJobOptions()
            do {
                options = try job.dependencyOptions()
            } catch {
                entry.invalidReason = entry.invalidReason ?? "invalid options: \(error)"
            }
            entries[id] = entry
            if entry.invalidReason == nil { triggers[id] = trigger }
            nodes.append(
                DependencyGraph.RestoredNode(
                    id: id, name: job.name, options: options, trigger: trigger,
                    lastFired: job.last.map { Self.fireDate(near: $0, of: trigger.map { [$0] } ?? []) },
                    upstream: job.upstream, history: job.history))
        }
        state.withLock { state in
            state.dagJobs.merge(entries) { _, restored in restored }
            for index in nodes.indices where nodes[index].trigger != nil {
                nodes[index].triggerJobID = JobID(rawValue: state.nextJobID)
                state.nextJobID += 1
            }
        }
        let runs = dag.runs.values.map { run in
            DependencyGraph.RestoredRun(
                slot: Self.fireDate(near: run.due, of: run.jobs.keys.compactMap { triggers[$0] }).timeIntervalSinceReferenceDate,
                runs: run.jobs.mapValues { ($0.phase, Int32(clamping: $0.attempts)) })
        }
        do {
            _ = try dependencies.restore(nodes: nodes, runs: runs, body: makeDependencyBody) { id in
                let job = dag.jobs[id]!
                guard let last = job.last, let trigger = triggers[id] else { return RestoredJobState(nextDueDate: job.first) }
                // The next date after the stored `last`, which may be off by a rounding step
                // (dates are stored as seconds since 1970): never the same date again.
                let fired = Self.fireDate(near: last, of: [trigger])
                guard let next = trigger.nextFireDate(after: fired) else {
                    return RestoredJobState(lastDueDate: fired, finishedStatus: .completed)
                }
                return RestoredJobState(lastDueDate: fired, nextDueDate: next)
            }
        } catch {
            // The stored graph was checked when the state was read; the scheduler refuses only a
            // taken job ID, which the state's checks rule out too.
            state.withLock { state in
                for id in entries.keys { state.dagJobs[id]?.invalidReason = "the graph could not be restored: \(error)" }
            }
        }
    }
}
