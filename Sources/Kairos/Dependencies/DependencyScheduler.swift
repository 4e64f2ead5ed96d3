import Foundation
import KairosPlatform

/// Jobs that run when the jobs they depend on have finished: a DAG of jobs on top of a
/// ``Scheduler``.
///
/// Root jobs (no upstream jobs) have triggers; every other job runs when its upstream runs have
/// finished, as its ``TriggerRule`` says. One firing of the roots for a due date is a *DAG run*
/// (``DAGRun``); each job runs at most once per DAG run (retries aside), and its
/// ``JobContext/dueDate`` is the DAG run's due date.
///
/// ```swift
/// let dag = DependencyScheduler(configuration: .init(maxConcurrentJobs: 4))
/// let extract = try dag.schedule(name: "extract", trigger: try CronTrigger("0 2 * * *")) { _ in try await extract() }
/// let clean = try dag.schedule(name: "clean", dependsOn: [extract]) { _ in try await clean() }
/// let load = try dag.schedule(name: "load", dependsOn: [extract, clean],
///                             options: .init(retry: try RetryPolicy(maxAttempts: 3), timeout: .seconds(600))) { _ in
///     try await load()
/// }
/// dag.start()
/// ```
///
/// Jobs run on the composed scheduler's executor, so independent branches run in parallel up to
/// its `maxConcurrentJobs`. The scheduler holds one job per DAG job (with a ``ManualTrigger``) and,
/// for each root, one job named `"<name> (trigger)"` that carries the root's trigger.
///
/// All methods are thread-safe. See SPEC §5 for the exact semantics of DAG runs, trigger rules,
/// retries and `dependsOnPast`.
public final class DependencyScheduler: Scheduler.RequestedRunSink {
    /// The scheduler the jobs run on; use it for events, stats, pausing and stopping.
    public let scheduler: Scheduler
    private let graph: LockedState<DependencyGraph>
    private let recorder: Recorder?
    private let launchGate: LaunchGate?

    /// Receives the changes logged since the last call, in order, through `drain` (which takes
    /// them under the graph's lock), and makes them durable before returning.
    typealias Recorder = @Sendable (_ drain: () -> [DependencyChange]) throws(PersistenceError) -> Void
    /// Whether a run of the job may start now; a run that may not is held until
    /// ``releaseHeldRuns()``. Called under the graph's lock.
    typealias LaunchGate = @Sendable (JobID) -> Bool

    /// Creates a dependency scheduler that runs its jobs on `scheduler`.
    public convenience init(scheduler: Scheduler) {
        self.init(scheduler: scheduler, recorder: nil, launchGate: nil)
    }

    /// Creates a dependency scheduler whose every change is reported to `recorder` (which the
    /// changes wait for: a run starts only after the change that started it was recorded) and
    /// whose runs start only when `launchGate` allows.
    init(scheduler: Scheduler, recorder: Recorder?, launchGate: LaunchGate?) {
        self.scheduler = scheduler
        var graph = DependencyGraph()
        if recorder != nil { graph.changeLog = [] }
        self.graph = LockedState(graph)
        self.recorder = recorder
        self.launchGate = launchGate
    }

    /// Creates a dependency scheduler with a new ``Scheduler`` of the given configuration.
    public convenience init(configuration: Scheduler.Configuration = Scheduler.Configuration()) {
        self.init(scheduler: Scheduler(configuration: configuration))
    }

    // MARK: Building the graph

    /// Adds a job.
    ///
    /// - Parameters:
    ///   - name: the job's name, in snapshots, events and cycle errors.
    ///   - trigger: when a root job (one with no `dependsOn`) fires; must be `nil` for a job with
    ///     upstream jobs, which runs when they finish.
    ///   - upstream: the jobs it depends on, which must exist. A new job has no downstream jobs, so
    ///     adding it never closes a cycle.
    ///   - options: trigger rule, retries, timeout, `dependsOnPast`, priority, misfire policy.
    ///   - body: the job; an `async` body sees Swift task cancellation on timeout.
    /// - Throws: ``DependencyError/unknownJob(_:)``, ``DependencyError/missingTrigger(name:)``,
    ///   ``DependencyError/triggerOnDependent(job:)``, ``DependencyError/scheduler(_:)``.
    /// - Complexity: O(number of upstream jobs + number of DAG runs in progress).
    @discardableResult
    public func schedule(
        name: String,
        trigger: (any Trigger)? = nil,
        dependsOn upstream: [JobID] = [],
        options: DependencyJobOptions = DependencyJobOptions(),
        _ body: @escaping @Sendable (JobContext) async throws -> Void
    ) throws(DependencyError) -> JobID {
        try add(id: nil, triggerJobID: nil, name: name, trigger: trigger, dependsOn: upstream, options: options, body)
    }

    /// Adds a job whose body is synchronous: it runs on one of the scheduler's worker threads,
    /// without a Swift task per run, which halves the cost of running a quick job (see
    /// ``Scheduler``'s synchronous `schedule`). Otherwise as the `async` variant.
    ///
    /// - Parameters:
    ///   - name: the job's name, in snapshots, events and cycle errors.
    ///   - trigger: when a root job fires; `nil` for a job with upstream jobs.
    ///   - upstream: the jobs it depends on, which must exist.
    ///   - options: trigger rule, retries, timeout, `dependsOnPast`, priority, misfire policy.
    ///   - body: the job; check ``JobContext/isCancelled`` to stop early on timeout.
    /// - Throws: as the `async` variant.
    @discardableResult
    public func schedule(
        name: String,
        trigger: (any Trigger)? = nil,
        dependsOn upstream: [JobID] = [],
        options: DependencyJobOptions = DependencyJobOptions(),
        _ body: @escaping @Sendable (JobContext) throws -> Void
    ) throws(DependencyError) -> JobID {
        try add(
            id: nil, triggerJobID: nil, name: name, trigger: trigger, dependsOn: upstream, options: options
        ) { (jobOptions: JobOptions) throws(SchedulerError) -> JobID in
            try scheduler.schedule(name: name, trigger: ManualTrigger(), options: jobOptions, body)
        }
    }

    /// ``schedule(name:trigger:dependsOn:options:_:)`` with caller-chosen IDs for the job and
    /// its root's trigger job (`nil`: generated).
    @discardableResult
    func add(
        id chosenID: JobID?, triggerJobID: JobID?, name: String, trigger: (any Trigger)?, dependsOn upstream: [JobID],
        options: DependencyJobOptions,
        _ body: @escaping @Sendable (JobContext) async throws -> Void
    ) throws(DependencyError) -> JobID {
        try add(
            id: chosenID, triggerJobID: triggerJobID, name: name, trigger: trigger, dependsOn: upstream, options: options
        ) { (jobOptions: JobOptions) throws(SchedulerError) -> JobID in
            guard let chosenID else { return try scheduler.schedule(name: name, trigger: ManualTrigger(), options: jobOptions, body) }
            return try scheduler.schedule(id: chosenID, name: name, trigger: ManualTrigger(), options: jobOptions) { context in
                try await body(context)
                return ()
            }
        }
    }

    /// Checks and adds a job whose scheduler job `scheduleJob` adds (with the job options it is
    /// given), and, for a root, the job that carries its trigger.
    private func add(
        id chosenID: JobID?, triggerJobID: JobID?, name: String, trigger: (any Trigger)?, dependsOn upstream: [JobID],
        options: DependencyJobOptions,
        schedulingWith scheduleJob: (JobOptions) throws(SchedulerError) -> JobID
    ) throws(DependencyError) -> JobID {
        if upstream.isEmpty, trigger == nil { throw .missingTrigger(name: name) }
        if !upstream.isEmpty, trigger != nil { throw .triggerOnDependent(job: name) }
        try graph.withLock { (graph: inout DependencyGraph) throws(DependencyError) in
            for id in upstream where graph.indexByID[id] == nil { throw .unknownJob(id) }
        }
        let id: JobID
        do {
            id = try scheduleJob(JobOptions(priority: options.priority, timeout: options.timeout))
        } catch {
            throw .scheduler(error)
        }
        let anchored = trigger.map { scheduler.anchoring($0) }
        let index = try graph.withLock { (graph: inout DependencyGraph) throws(DependencyError) -> Int32 in
            var parents: [Int32] = []
            for id in upstream {
                guard let parent = graph.indexByID[id] else { throw .unknownJob(id) }
                if !parents.contains(parent) { parents.append(parent) }
            }
            return graph.addNode(id: id, name: name, options: options, trigger: anchored, upstream: parents)
        }
        if let anchored {
            let triggerID = try scheduleTrigger(
                of: index, name: name, trigger: anchored, chosenID: triggerJobID,
                misfire: options.misfire, restoring: nil)
            graph.withLock { $0.nodes[Int(index)].triggerJobID = triggerID }
        }
        do { try record() } catch { throw .persistence(error) }
        return id
    }

    /// Schedules the job that carries a root's trigger and reports its firings to the graph.
    private func scheduleTrigger(
        of index: Int32, name: String, trigger: any Trigger, chosenID: JobID?, misfire: MisfirePolicy?, restoring: RestoredJobState?
    ) throws(DependencyError) -> JobID {
        do {
            // A fire that comes due before the trigger's previous one was handled (its run may
            // wait for an executor slot) is queued, not dropped as the default overlap policy
            // would: each due date starts its DAG run, in order.
            let options = JobOptions(overlap: .bufferAll(limit: 10_000), misfire: misfire)
            if let chosenID {
                return try scheduler.schedule(
                    id: chosenID, name: "\(name) (trigger)", trigger: trigger, options: options,
                    restoring: restoring
                ) { [weak self] (context: JobContext) -> any Sendable in
                    self?.rootFired(index, dueDate: context.dueDate)
                    return ()
                }
            }
            return try scheduler.schedule(name: "\(name) (trigger)", trigger: trigger, options: options) { [weak self] (context: JobContext) in
                self?.rootFired(index, dueDate: context.dueDate)
            }
        } catch {
            throw .scheduler(error)
        }
    }

    /// Makes `job` depend on `upstream`.
    ///
    /// The edge applies to DAG runs in progress in which `job` still waits for its upstream runs,
    /// and to every later DAG run. Adding an existing edge does nothing.
    ///
    /// - Throws: ``DependencyError/cycle(_:)`` naming the cycle the edge would close (nothing is
    ///   added), ``DependencyError/unknownJob(_:)``, ``DependencyError/triggerOnDependent(job:)``
    ///   if `job` is a root with a trigger.
    /// - Complexity: O(jobs upstream of `upstream` + edges among them) for the cycle check.
    public func addDependency(_ job: JobID, dependsOn upstream: JobID) throws(DependencyError) {
        let effects = try graph.withLock { (graph: inout DependencyGraph) throws(DependencyError) -> DependencyGraph.Effects in
            guard let dependent = graph.indexByID[job] else { throw .unknownJob(job) }
            guard let parent = graph.indexByID[upstream] else { throw .unknownJob(upstream) }
            if graph.nodes[Int(dependent)].trigger != nil { throw .triggerOnDependent(job: graph.nodes[Int(dependent)].name) }
            if let cycle = graph.cycle(adding: dependent, dependsOn: parent) { throw .cycle(cycle) }
            var effects = DependencyGraph.Effects()
            graph.addEdge(dependent, dependsOn: parent, effects: &effects)
            return effects
        }
        if let failure = apply(effects) { throw .persistence(failure) }
    }

    /// Makes dependent `job` depend on exactly `upstream`: the missing edges are added (each
    /// checked for a cycle first, so that a refused set changes nothing), then the others removed.
    /// See ``DependencyGraph/removeEdge(_:dependsOn:effects:)`` for DAG runs in progress.
    ///
    /// - Throws: ``DependencyError/unknownJob(_:)``, ``DependencyError/triggerOnDependent(job:)``
    ///   if `job` is a root, ``DependencyError/missingTrigger(name:)`` for an empty `upstream`,
    ///   ``DependencyError/cycle(_:)``; ``DependencyError/persistence(_:)`` if it could not be recorded.
    /// - Complexity: O(jobs upstream of the new upstream jobs + edges among them) for the cycle
    ///   checks, plus O(DAG runs in progress) per changed edge.
    func setUpstream(_ job: JobID, to upstream: [JobID]) throws(DependencyError) {
        let effects = try graph.withLock { (graph: inout DependencyGraph) throws(DependencyError) -> DependencyGraph.Effects in
            guard let dependent = graph.indexByID[job] else { throw .unknownJob(job) }
            let node = graph.nodes[Int(dependent)]
            if node.trigger != nil { throw .triggerOnDependent(job: node.name) }
            if upstream.isEmpty { throw .missingTrigger(name: node.name) }
            var parents: [Int32] = []
            for id in upstream {
                guard let parent = graph.indexByID[id] else { throw .unknownJob(id) }
                if !parents.contains(parent) { parents.append(parent) }
            }
            let added = parents.filter { !node.upstream.contains($0) }
            for parent in added {
                let nodes = graph.nodes
                let cycle = DependencyGraph.cycle(adding: dependent, dependsOn: parent) { $0 == dependent ? parents : nodes[Int($0)].upstream }
                if let cycle { throw .cycle(cycle.map { nodes[Int($0)].name }) }
            }
            var effects = DependencyGraph.Effects()
            for parent in added { graph.addEdge(dependent, dependsOn: parent, effects: &effects) }
            for parent in node.upstream where !parents.contains(parent) {
                graph.removeEdge(dependent, dependsOn: parent, effects: &effects)
            }
            return effects
        }
        if let failure = apply(effects) { throw .persistence(failure) }
    }

    /// Replaces the trigger of root `job`: its trigger job is rescheduled (its next fire date
    /// comes from `trigger`, from now); DAG runs in progress keep the jobs they have.
    ///
    /// - Returns: the trigger as anchored.
    /// - Throws: ``DependencyError/unknownJob(_:)``, ``DependencyError/missingTrigger(name:)`` if
    ///   `job` is a dependent, ``DependencyError/scheduler(_:)``.
    func replaceTrigger(of job: JobID, with trigger: any Trigger) throws(DependencyError) -> any Trigger {
        let anchored = scheduler.anchoring(trigger)
        let root = try graph.withLock { (graph: inout DependencyGraph) throws(DependencyError) -> (Int32, JobID?) in
            guard let index = graph.indexByID[job] else { throw .unknownJob(job) }
            guard graph.nodes[Int(index)].trigger != nil else { throw .missingTrigger(name: graph.nodes[Int(index)].name) }
            return (index, graph.nodes[Int(index)].triggerJobID)
        }
        if let triggerJobID = root.1 {
            do { try scheduler.reschedule(triggerJobID, trigger: anchored) } catch { throw .scheduler(error) }
        }
        graph.withLock { $0.nodes[Int(root.0)].trigger = anchored }
        return anchored
    }

    /// Removes a job that no job depends on: it is cancelled in the scheduler (a running attempt
    /// sees task cancellation), a root's trigger stops, and the job leaves every DAG run in
    /// progress (one left with finished jobs only finishes). Its past runs stay in finished
    /// DAG runs.
    ///
    /// - Returns: `false` if no job has this ID (or it was removed already).
    /// - Throws: ``DependencyError/hasDependents(job:dependents:)`` if jobs depend on it (remove
    ///   them, or add the edges elsewhere, first); nothing is changed.
    /// - Complexity: O(upstream edges of the job + DAG runs in progress).
    @discardableResult
    public func remove(_ job: JobID) throws(DependencyError) -> Bool {
        let removal = try graph.withLock { (graph: inout DependencyGraph) throws(DependencyError) -> (DependencyGraph.Effects, JobID?)? in
            guard let index = graph.indexByID[job] else { return nil }
            let node = graph.nodes[Int(index)]
            if !node.downstream.isEmpty {
                throw .hasDependents(job: node.name, dependents: node.downstream.map { graph.nodes[Int($0)].name })
            }
            var effects = DependencyGraph.Effects()
            graph.removeNode(index, effects: &effects)
            return (effects, node.triggerJobID)
        }
        guard let (effects, triggerJobID) = removal else { return false }
        if let triggerJobID { scheduler.cancel(triggerJobID) }
        scheduler.cancel(job)
        if let failure = apply(effects) { throw .persistence(failure) }
        return true
    }

    /// Whether `job` is a job of this dependency scheduler (removed jobs are not).
    ///
    /// - Complexity: O(1).
    public func contains(_ job: JobID) -> Bool {
        graph.withLock { $0.indexByID[job] != nil }
    }

    /// A job's name, options and (for a root) anchored trigger; `nil` if unknown.
    func definition(of job: JobID) -> (name: String, options: DependencyJobOptions, trigger: (any Trigger)?)? {
        graph.withLock { graph in
            graph.indexByID[job].map { (graph.nodes[Int($0)].name, graph.nodes[Int($0)].options, graph.nodes[Int($0)].trigger) }
        }
    }

    /// The jobs `job` depends on, in the order they were added.
    public func upstream(of job: JobID) -> [JobID] {
        graph.withLock { graph in
            guard let index = graph.indexByID[job] else { return [] }
            return graph.nodes[Int(index)].upstream.map { graph.nodes[Int($0)].id }
        }
    }

    /// The jobs that depend on `job`, in the order they were added.
    public func downstream(of job: JobID) -> [JobID] {
        graph.withLock { graph in
            guard let index = graph.indexByID[job] else { return [] }
            return graph.nodes[Int(index)].downstream.map { graph.nodes[Int($0)].id }
        }
    }

    // MARK: Running

    /// Starts the scheduler (see ``Scheduler/start()``), and the runs of DAG runs in progress that
    /// became ready while it was stopped.
    ///
    /// Start and stop the dependency scheduler with this method and ``stop(timeout:)``, not its
    /// ``scheduler`` directly, so that DAG runs in progress stop and continue with it.
    public func start() {
        scheduler.start()
        start(takeParked())
    }

    /// Stops the scheduler (see ``Scheduler/stop(timeout:)``): roots stop firing, and runs that
    /// become ready in DAG runs in progress (including retries) wait until ``start()``; runs already
    /// going finish (or are cancelled when the timeout expires, counting as failed).
    @discardableResult
    public func stop(timeout: Duration = .seconds(30)) async -> Bool { await scheduler.stop(timeout: timeout) }

    // MARK: Reading

    /// The DAG run for `dueDate`, in progress or among the last 1,000 finished; `nil` if unknown.
    public func dagRun(at dueDate: Date) -> DAGRun? {
        graph.withLock { graph in
            let slot = dueDate.timeIntervalSinceReferenceDate
            if let wave = graph.waves[slot] { return graph.snapshot(wave) }
            return graph.finishedRuns[slot]
        }
    }

    /// The DAG runs in progress, oldest due date first.
    public var activeDAGRuns: [DAGRun] {
        graph.withLock { graph in graph.waves.values.sorted { $0.slot < $1.slot }.map { graph.snapshot($0) } }
    }

    /// The latest finished runs of `job` (up to 64), oldest first.
    public func runs(of job: JobID) -> [DependencyRun] {
        graph.withLock { graph in graph.indexByID[job].map { graph.nodes[Int($0)].history } ?? [] }
    }

    /// Waits until the DAG run for `dueDate` has finished (it may not have started yet) and
    /// returns it; `nil` if the waiting task is cancelled first.
    public func waitForDAGRun(at dueDate: Date) async -> DAGRun? {
        let slot = dueDate.timeIntervalSinceReferenceDate
        let token = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<DAGRun?, Never>) in
                let finished: DAGRun?? = graph.withLock { graph in
                    if let run = graph.finishedRuns[slot], graph.waves[slot] == nil { return .some(run) }
                    if Task.isCancelled { return .some(nil) }
                    graph.waiters[slot, default: [:]][token] = continuation
                    return .none
                }
                if let finished { continuation.resume(returning: finished) }
            }
        } onCancel: {
            let continuation = graph.withLock { $0.waiters[slot]?.removeValue(forKey: token) }
            continuation?.resume(returning: nil)
        }
    }

    // MARK: Internals

    private func rootFired(_ root: Int32, dueDate: Date) {
        let effects = graph.withLock { graph in
            var effects = DependencyGraph.Effects()
            graph.rootFired(root, slot: dueDate.timeIntervalSinceReferenceDate, effects: &effects)
            return effects
        }
        apply(effects)
    }

    /// Records the changes (before anything they started can run), wakes the waiters of
    /// finished DAG runs and starts the runs; returns why the changes could not be recorded.
    @discardableResult
    func apply(_ effects: DependencyGraph.Effects) -> PersistenceError? {
        var failure: PersistenceError?
        do { try record() } catch { failure = error }
        for (run, waiters) in effects.finished {
            for waiter in waiters { waiter.resume(returning: run) }
        }
        start(effects.launches)
        return failure
    }

    /// Hands the logged changes to the recorder.
    private func record() throws(PersistenceError) {
        guard let recorder else { return }
        try recorder {
            graph.withLock { graph in
                defer { graph.changeLog!.removeAll(keepingCapacity: true) }
                return graph.changeLog ?? []
            }
        }
    }

    /// Starts the held runs whose job may now start (see ``LaunchGate``).
    func releaseHeldRuns() {
        guard let launchGate else { return }
        let ready = graph.withLock { graph -> [DependencyGraph.Launch] in
            var ready: [DependencyGraph.Launch] = []
            graph.held.removeAll { launch in
                guard launchGate(launch.id) else { return false }
                ready.append(launch)
                return true
            }
            return ready
        }
        start(ready)
    }

    /// Rebuilds stored jobs and DAG runs in progress (see ``DependencyGraph/restore(nodes:runs:effects:)``);
    /// `bodies` gives each job's body and `triggers` each root's trigger job ID and restored state.
    func restore(
        nodes: [DependencyGraph.RestoredNode], runs: [DependencyGraph.RestoredRun],
        body: (JobID) -> @Sendable (JobContext) async throws -> Void,
        restoringTrigger: (JobID) -> RestoredJobState?
    ) throws(DependencyError) -> PersistenceError? {
        var graphNodes = nodes
        for (position, node) in nodes.enumerated() {
            let jobBody = body(node.id)
            do {
                try scheduler.schedule(
                    id: node.id, name: node.name, trigger: ManualTrigger(),
                    options: JobOptions(priority: node.options.priority, timeout: node.options.timeout)
                ) { context in
                    try await jobBody(context)
                    return ()
                }
            } catch {
                throw .scheduler(error)
            }
            graphNodes[position].triggerJobID = nil
        }
        let effects = graph.withLock { graph in
            var effects = DependencyGraph.Effects()
            graph.restore(nodes: graphNodes, runs: runs, effects: &effects)
            return effects
        }
        for node in nodes {
            guard let trigger = node.trigger, let triggerJobID = node.triggerJobID else { continue }
            let index = graph.withLock { $0.indexByID[node.id]! }
            let id = try scheduleTrigger(
                of: index, name: node.name, trigger: trigger, chosenID: triggerJobID,
                misfire: node.options.misfire, restoring: restoringTrigger(node.id))
            graph.withLock { $0.nodes[Int(index)].triggerJobID = id }
        }
        return apply(effects)
    }

    /// Hands launches to the scheduler's executor in one batch, or parks them while it is stopped;
    /// launches the gate refuses are held.
    private func start(_ launches: [DependencyGraph.Launch]) {
        var launches = launches
        if let launchGate, !launches.isEmpty {
            launches = graph.withLock { graph in
                launches.filter { launch in
                    if launchGate(launch.id) { return true }
                    graph.held.append(launch)
                    return false
                }
            }
        }
        guard !launches.isEmpty else { return }
        let requests = launches.map { launch in
            Scheduler.DependencyRunRequest(
                id: launch.id, dueDate: Date(timeIntervalSinceReferenceDate: launch.slot), attempt: launch.attempt,
                token: UInt64(UInt32(bitPattern: launch.node)))
        }
        guard let rejected = scheduler.startDependencyRuns(requests, reportingTo: self) else {
            graph.withLock { $0.parked.append(contentsOf: launches) }
            // A start() that raced with this call may have flushed already: flush again if running.
            if scheduler.isRunning { start(takeParked()) }
            return
        }
        guard !rejected.isEmpty else { return }
        requestedRunsFinished(
            rejected.map { request, _ in
                Scheduler.FinishedRequestedRun(token: request.token, dueDate: request.dueDate, attempt: request.attempt, outcome: .cancelled)
            })
    }

    private func takeParked() -> [DependencyGraph.Launch] {
        graph.withLock { graph in
            defer { graph.parked = [] }
            return graph.parked
        }
    }

    /// Records how a batch of launched attempts ended, under one lock, then starts what they
    /// made ready in one batch and schedules the retries.
    package func requestedRunsFinished(_ runs: [Scheduler.FinishedRequestedRun]) {
        let (retries, effects) = graph.withLock { graph in
            var effects = DependencyGraph.Effects()
            var retries: [(next: DependencyGraph.Launch, delay: TimeInterval)] = []
            for run in runs {
                let node = Int32(bitPattern: UInt32(truncatingIfNeeded: run.token))
                let slot = run.dueDate.timeIntervalSinceReferenceDate
                let delay = graph.attemptFinished(node, slot: slot, attempt: run.attempt, outcome: run.outcome, effects: &effects)
                if let delay {
                    let next = DependencyGraph.Launch(node: node, id: graph.nodes[Int(node)].id, slot: slot, attempt: run.attempt + 1)
                    retries.append((next, delay))
                }
            }
            return (retries, effects)
        }
        apply(effects)
        guard !retries.isEmpty else { return }
        let clock = scheduler.clock
        for (next, delay) in retries {
            Task { [self] in
                try? await clock.sleep(until: clock.now.date.addingTimeInterval(delay))
                start([next])
            }
        }
    }
}
