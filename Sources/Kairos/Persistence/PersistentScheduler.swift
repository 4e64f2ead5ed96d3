import Foundation
import KairosPlatform
import Synchronization

/// A scheduler whose jobs survive restarts and crashes: every change is on disk before the call
/// that made it returns.
///
/// Jobs run named functions registered at start-up, with JSON arguments, so that a restarted
/// process can find their bodies again:
///
/// ```swift
/// let scheduler = try PersistentScheduler(stateFile: "/var/lib/app/schedule.json")
/// scheduler.register("report.send") { context, arguments in
///     try await Reports.send(to: arguments["to"], key: context.idempotencyKey)
/// }
/// scheduler.start()   // restores the persisted jobs, then fires
/// // Declared at every start-up: the key keeps it one job across restarts.
/// let id = try scheduler.schedule(key: "weekly-report", name: "weekly report", function: "report.send",
///                                 arguments: ["to": "ops@example.com"],
///                                 trigger: CronTrigger("0 9 * * mon", timeZone: paris))
/// ```
///
/// **Durability.** `schedule`, `cancel`, `pause`, `resume` and `reschedule` return once the change
/// is fsynced. A run is recorded as started (durably) before its function is called, and as
/// finished with its counters, last and next fire dates and status when it ends.
///
/// **Recovery.** ``start()`` restores every persisted job. Due dates that passed while the process
/// was down go through each job's misfire policy; runs that had started and not finished run again
/// (at-least-once) with the same due date, so ``JobContext/idempotencyKey`` is the same, and an
/// attempt number one higher. A job whose function is not registered is kept and listed in
/// ``unrestoredJobs``; registering the function restores it.
///
/// **Failure.** If a write or fsync fails, the state stops accepting changes for good
/// (``PersistenceError/stopped(file:reason:)``): every later change throws, and runs fail before
/// calling their function because their start cannot be recorded. Restart the process.
///
/// **Thread safety.** Every method may be called from any thread or task.
public final class PersistentScheduler: Sendable {
    /// The body of a job: it receives the run's context and the job's JSON arguments.
    public typealias JobFunction = @Sendable (JobContext, JSONValue) async throws -> Void

    /// How the persistent scheduler runs.
    public struct Configuration: Sendable {
        /// The configuration of the underlying ``Scheduler`` (clock, concurrency, default policies).
        public var scheduler: Scheduler.Configuration
        /// The journal is compacted into a new snapshot once it is larger than this many bytes and
        /// than a quarter of the snapshot. Default 4 MiB.
        public var compactionMinimumBytes: Int

        /// Creates a configuration; see each property.
        public init(scheduler: Scheduler.Configuration = Scheduler.Configuration(), compactionMinimumBytes: Int = 4 << 20) {
            self.scheduler = scheduler
            self.compactionMinimumBytes = compactionMinimumBytes
        }
    }

    /// What this process knows of a job it persists.
    struct Entry {
        /// The job's key, if it was scheduled with one.
        var key: String?
        var function: String
        /// The arguments, as read from the state file for a restored job (decoded at each run).
        var arguments: StoredJSONValue
        var inFlight: [InFlightRun]
        /// The version of the newest snapshot persisted (`nil`: none since the job was scheduled
        /// or restored); older snapshots are ignored. The record last persisted is the document's.
        var version: UInt64?
        /// Set while the job is being restored: its `scheduled` change is already on disk.
        var restoring = false
        /// The job was cancelled and removed from the state.
        var removed = false
    }

    struct State {
        var functions: [String: JobFunction] = [:]
        var entries: [JobID: Entry] = [:]
        var unrestored: [JobID: UnrestoredJob] = [:]
        var started = false
        var nextJobID: UInt64
        /// The jobs of the dependency graph (see PersistentScheduler+Dependencies.swift).
        var dagJobs: [JobID: DAGEntry] = [:]
        /// Records of DAG jobs being added, journaled when the graph reports them.
        var dagJobsBeingAdded: [JobID: PersistedDAGJob] = [:]
        /// ``close()`` was called: nothing more can be recorded, so DAG jobs no longer run.
        var isClosed = false
    }

    /// The scheduler that runs the jobs: use it for ``Scheduler/events``, ``Scheduler/stats`` and
    /// snapshots. Jobs scheduled on it directly are not persisted.
    public let scheduler: Scheduler
    /// The state file's path.
    public let stateFile: String
    let store: StateStore
    let state: LockedState<State>
    /// The dependency graph of the persisted DAG jobs; its changes are journaled as they happen.
    let dependencies: DependencyScheduler
    /// Serializes the declarations of each key (``schedule(key:name:function:arguments:trigger:options:)-(String,_,_,_,_,_)``,
    /// ``scheduleDependencyJob(key:name:function:arguments:trigger:dependsOn:options:)``): each reads
    /// the key's job and changes it durably before the next one of that key looks.
    let keyLocks = KeyLocks()

    /// Opens (or creates) the state at `stateFile` and locks it for this process.
    ///
    /// Nothing runs until ``start()``: register the job functions first.
    ///
    /// A journal whose last record was cut off by a crash opens without it; see
    /// ``droppedJournalRecord``.
    ///
    /// - Throws: ``PersistentSchedulerError/persistence(_:)`` with
    ///   ``PersistenceError/invalidPath(file:reason:)`` for a path that cannot name a state file
    ///   (nothing is created), ``PersistenceError/locked(file:)`` if another process has the
    ///   state open, or the error that says how the files are damaged (they are then left
    ///   untouched).
    public convenience init(stateFile: String, configuration: Configuration = Configuration()) throws(PersistentSchedulerError) {
        try self.init(stateFile: stateFile, configuration: configuration, fileSystem: POSIXFileSystem())
    }

    package init(stateFile: String, configuration: Configuration, fileSystem: any StateFileSystem) throws(PersistentSchedulerError) {
        do {
            store = try StateStore(
                path: stateFile, fileSystem: fileSystem,
                configuration: .init(compactionMinimumBytes: configuration.compactionMinimumBytes))
        } catch {
            throw .persistence(error)
        }
        self.stateFile = stateFile
        scheduler = Scheduler(configuration: configuration.scheduler)
        state = LockedState(State(nextJobID: store.document.nextJobID))
        dependencies = DependencyScheduler(
            scheduler: scheduler, recorder: Self.dependencyRecorder(store: store, state: state),
            launchGate: Self.dependencyLaunchGate(state: state))
        scheduler.observeStateChanges { [weak self] change in self?.observe(change) }
    }

    deinit {
        scheduler.observeStateChanges(nil)
        store.close()
    }

    // MARK: - Functions

    /// Registers the function that runs jobs scheduled with `function: name`, replacing any
    /// previous one. Registering a function for persisted jobs that were waiting for it (see
    /// ``unrestoredJobs``) restores them, if the scheduler is started.
    public func register(_ name: String, _ body: @escaping JobFunction) {
        let waiting = state.withLock { state -> [JobID] in
            state.functions[name] = body
            guard state.started else { return [] }
            let ids = state.unrestored.values
                .filter { $0.function == name && $0.reason == .functionNotRegistered }.map(\.id)
            for id in ids { state.unrestored[id] = nil }
            return ids
        }
        dependencies.releaseHeldRuns()
        guard !waiting.isEmpty else { return }
        restore(waiting.sorted(), from: store.document)
    }

    // MARK: - Scheduling

    /// Adds a job that runs the function registered as `function` with `arguments`, and returns
    /// once it is durable.
    ///
    /// Every call adds a job, and persisted jobs are restored at ``start()``: a program that
    /// declares its schedules at start-up declares them with
    /// ``schedule(key:name:function:arguments:trigger:options:)-(String,_,_,_,_,_)`` instead, or it gets one more
    /// copy of each job at every restart.
    ///
    /// - Parameters:
    ///   - name: for snapshots, events and logs.
    ///   - function: the name of a registered function.
    ///   - arguments: passed to the function on every run; stored in the state file.
    ///   - trigger: a built-in trigger (custom triggers have no stored form).
    ///   - options: limits, priority, policies, timeout; all are persisted.
    /// - Complexity: O(log n) plus one journal append and fsync.
    /// - Throws: ``PersistentSchedulerError/functionNotRegistered(_:)``,
    ///   ``PersistentSchedulerError/triggerNotPersistable(_:)``, ``PersistentSchedulerError/scheduler(_:)``
    ///   for an invalid option, ``PersistentSchedulerError/persistence(_:)`` if the state has stopped.
    @discardableResult
    public func schedule(
        name: String = "", function: String, arguments: JSONValue = nil, trigger: any Trigger,
        options: JobOptions = JobOptions()
    ) throws(PersistentSchedulerError) -> JobID {
        guard TriggerDescription(trigger) != nil else { throw .triggerNotPersistable(String(describing: type(of: trigger))) }
        if let failure = store.failure { throw .persistence(failure) }
        let id = try state.withLock { state throws(PersistentSchedulerError) -> JobID in
            guard state.functions[function] != nil else { throw .functionNotRegistered(function) }
            let id = JobID(rawValue: state.nextJobID)
            state.nextJobID += 1
            state.entries[id] = Entry(function: function, arguments: StoredJSONValue(arguments), inFlight: [])
            return id
        }
        try add(id, name: name, trigger: trigger, options: options, body: makeBody(function: function, arguments: arguments))
        return id
    }

    /// Adds the job whose entry was just made to the scheduler and persists it; undoes both if
    /// either fails.
    func add(
        _ id: JobID, name: String, trigger: any Trigger, options: JobOptions, restoring: RestoredJobState? = nil,
        body: @escaping @Sendable (JobContext) async throws -> any Sendable
    ) throws(PersistentSchedulerError) {
        do {
            try scheduler.schedule(id: id, name: name, trigger: trigger, options: options, restoring: restoring, body)
        } catch {
            _ = state.withLock { $0.entries.removeValue(forKey: id) }
            throw .scheduler(error)
        }
        do {
            try persistCurrentState(of: id)
        } catch {
            scheduler.cancel(id)
            throw error
        }
    }

    /// Cancels a job and removes it from the state, durably. A running run is cancelled (Swift
    /// task cancellation).
    ///
    /// - Returns: `true` if the job was cancelled now; `false` if it is unknown or finished.
    /// - Throws: ``PersistentSchedulerError/persistence(_:)`` if the change could not be stored.
    @discardableResult
    public func cancel(_ id: JobID) throws(PersistentSchedulerError) -> Bool {
        if dependencies.contains(id) { return try remove(id) }
        let unrestored = state.withLock { $0.unrestored.removeValue(forKey: id) }
        if unrestored != nil {
            do {
                try store.commit { (document: StateDocument) -> [StateChange] in
                    document.jobs[id] == nil ? [] : [.removeJob(id)]
                }
            } catch {
                throw .persistence(error)
            }
            return true
        }
        let cancelled = scheduler.cancel(id)
        try persistCurrentState(of: id)
        return cancelled
    }

    /// Pauses a job, durably. See ``Scheduler/pause(_:)``.
    public func pause(_ id: JobID) throws(PersistentSchedulerError) {
        do { try scheduler.pause(id) } catch { throw .scheduler(error) }
        try persistCurrentState(of: id)
    }

    /// Resumes a paused job, durably. See ``Scheduler/resume(_:catchingUp:)``.
    public func resume(_ id: JobID, catchingUp: Bool = true) throws(PersistentSchedulerError) {
        do { try scheduler.resume(id, catchingUp: catchingUp) } catch { throw .scheduler(error) }
        try persistCurrentState(of: id)
    }

    /// Replaces a job's trigger, durably. See ``Scheduler/reschedule(_:trigger:)``.
    public func reschedule(_ id: JobID, trigger: any Trigger) throws(PersistentSchedulerError) {
        guard TriggerDescription(trigger) != nil else { throw .triggerNotPersistable(String(describing: type(of: trigger))) }
        do { try scheduler.reschedule(id, trigger: trigger) } catch { throw .scheduler(error) }
        try persistCurrentState(of: id)
    }

    // MARK: - Reading

    /// A snapshot of a job running in this process. See ``Scheduler/job(_:)``.
    public func job(_ id: JobID) -> JobSnapshot? { scheduler.job(id) }

    /// Snapshots of the jobs running in this process. See ``Scheduler/jobs(status:)``.
    public func jobs(status: JobStatus? = nil) -> [JobSnapshot] { scheduler.jobs(status: status) }

    /// Persisted jobs that are not running, ordered by ID: their function is not registered, or
    /// their stored trigger or options cannot be rebuilt here. They stay in the state file.
    public var unrestoredJobs: [UnrestoredJob] {
        state.withLock { state in
            (Array(state.unrestored.values) + Self.unrestoredDependencyJobs(in: state)).sorted { $0.id < $1.id }
        }
    }

    /// Why the state stopped accepting changes, if it did.
    public var failure: PersistenceError? { store.failure }

    /// The torn last journal record that opening the state dropped, if it found one: the
    /// previous process was stopped (a crash, a power loss) in the middle of a write.
    ///
    /// The record had not been acknowledged, so no change that a call returned from is lost;
    /// log it so that an operator can tell. `nil` when the journal ended cleanly.
    public var droppedJournalRecord: DroppedJournalRecord? { store.droppedJournalRecord }

    // MARK: - Lifecycle

    /// Restores the persisted jobs (once) and starts firing. See the type's "Recovery" notes.
    ///
    /// - Complexity: O(n log n) in the number of persisted jobs.
    public func start() {
        let document = store.document
        let (ids, isFirstStart) = state.withLock { state -> ([JobID], Bool) in
            guard !state.started else { return ([], false) }
            state.started = true
            let ids = state.entries.isEmpty ? Array(document.jobs.keys) : document.jobs.keys.filter { state.entries[$0] == nil }
            return (ids.sorted(), true)
        }
        // Nothing runs before `scheduler.start()`: restore without observing, then observe again
        // before the interrupted runs are rerun.
        scheduler.observeStateChanges(nil)
        restore(ids, from: document, quietly: true) {
            scheduler.observeStateChanges { [weak self] change in self?.observe(change) }
        }
        if isFirstStart { restoreDependencies(from: document) }
        dependencies.start()
    }

    /// Stops firing and waits for the runs in progress, up to `timeout`. See
    /// ``Scheduler/stop(timeout:)``. The state stays open (and locked) until the scheduler is
    /// deallocated or ``close()`` is called.
    @discardableResult
    public func stop(timeout: Duration = .seconds(30)) async -> Bool {
        await scheduler.stop(timeout: timeout)
    }

    /// Closes the state files and releases the lock; later changes throw. Call after ``stop(timeout:)``.
    public func close() {
        scheduler.observeStateChanges(nil)
        state.withLock { $0.isClosed = true }
        store.close()
    }

    /// Sends a signal to the scheduler's hub. See ``Scheduler/send(signal:payload:)``.
    @discardableResult
    public func send(signal key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        scheduler.send(signal: key, payload: payload)
    }
}
