import Foundation
import Kairos
import KairosPostgres
import Synchronization

/// The PostgreSQL cluster store as the API's store: every server started on the same database
/// and schema shares the schedules, and each due run runs on one of them.
///
/// A change made through any server is committed before its request is answered and reaches
/// the other servers' nodes at once (LISTEN/NOTIFY). A schedule's runs, in progress and
/// finished, are read from the cluster's history, so every server shows every node's runs; the
/// events (`GET /v1/events`, `/metrics`) are this server's own runs.
///
/// ```swift
/// let node = try PostgresScheduler(configuration: try .init(url: "postgres://kairos@db/app"))
/// let api = KairosAPI(backend: PostgresScheduleBackend(node: node))
/// ```
public final class PostgresScheduleBackend: ScheduleBackend {
    /// The cluster node the API drives (register your own functions on it through
    /// ``register(_:_:)`` so that their runs are reported).
    public let node: PostgresScheduler
    private let events = ScheduleEventHub()
    private let running = RunningNode()

    /// The node's `run()` task, how it ended if it stopped on its own, and the runs executing in
    /// this process. A class: the registered functions and the task share it.
    private final class RunningNode: Sendable {
        struct State {
            var task: Task<Void, Never>?
            var failure: PostgresSchedulerError?
            var executing = 0
        }

        let state = Mutex(State())

        func withLock<Result>(_ body: (inout State) -> Result) -> Result { state.withLock { body(&$0) } }
    }

    /// The longest `/readyz` waits for the database.
    static let readinessTimeout: Duration = .seconds(5)

    /// Creates the backend over `node`; nothing runs until ``start()``.
    public init(node: PostgresScheduler) {
        self.node = node
    }

    public var now: Date { node.configuration.clock.now.date }

    public func register(_ name: String, _ body: @escaping @Sendable (JobContext, JSONValue) async throws -> Void) async throws {
        let events = self.events
        let running = self.running
        let clock = node.configuration.clock
        node.register(name) { context, arguments in
            running.withLock { $0.executing += 1 }
            defer { running.withLock { $0.executing -= 1 } }
            let started = ContinuousClock.now
            func report(_ kind: SchedulerEvent.Kind, error: String? = nil) {
                events.send(
                    ScheduleEvent(
                        kind: kind, jobID: context.jobID, jobName: context.name, dueDate: context.dueDate, date: clock.now.date,
                        duration: kind == .started ? nil : ContinuousClock.now - started, error: error))
            }
            report(.started)
            do {
                try await body(context, arguments)
                report(.succeeded)
            } catch is CancellationError {
                report(.runCancelled)
                throw CancellationError()
            } catch {
                report(.failed, error: String(describing: error))
                throw error
            }
        }
    }

    public func declare(
        key: String, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions
    ) async throws -> JobID {
        try await node.schedule(key: key, name: name, function: function, arguments: arguments, trigger: trigger, options: options)
    }

    public func keyedJobs() async throws -> [String: JobID] {
        var keys: [String: JobID] = [:]
        for job in try await node.storedJobs(status: nil) {
            if let key = job.key { keys[key] = job.id }
        }
        return keys
    }

    public func jobID(forKey key: String) async throws -> JobID? {
        try await node.jobID(forKey: key)
    }

    public func storedDeclaration(forKey key: String) async throws -> ScheduleDeclaration? {
        guard let id = try await node.jobID(forKey: key), let job = try await node.storedJob(id) else { return nil }
        return ScheduleDeclaration(name: job.name, function: job.function, arguments: job.arguments)
    }

    /// The job's state; `nil` for an unknown job and for a cancelled one (its key is free). The
    /// last run and the runs going are read from the cluster's history.
    public func state(of id: JobID) async throws -> ScheduleState? {
        guard let job = try await node.storedJob(id), job.status != .cancelled else { return nil }
        let recent = try await node.runs(of: id, limit: Self.recentRunsRead)
        let last = recent.first { $0.state == .succeeded || $0.state == .failed }
        return ScheduleState(
            jobID: id, status: job.status, trigger: job.trigger, options: job.options, isPaused: job.status == .paused,
            counters: job.counters, activeRuns: recent.count(where: { $0.state == .running }), lastDueDate: job.lastDueDate,
            lastStartDate: last?.startedAt, lastDuration: last.flatMap(Self.duration), lastOutcome: last.map(Self.outcome), lastError: last?.state == .failed ? last?.error : nil)
    }

    /// How long a finished run took, when the history has its start and end.
    static func duration(of run: ClusterRun) -> Duration? {
        guard let start = run.startedAt, let end = run.finishedAt else { return nil }
        return .seconds(end.timeIntervalSince(start))
    }

    /// How many of a job's newest slots ``state(of:)`` reads for its runs going and its last run.
    static let recentRunsRead = 50

    public func nextFireDates(of id: JobID, count: Int) async throws -> [Date] {
        guard let job = try await node.storedJob(id), job.status == .pending || job.status == .running || job.status == .paused,
            var date = job.nextDueDate, count > 0
        else { return [] }
        let trigger = try job.trigger.makeTrigger()
        var dates = [date]
        while dates.count < count, let next = trigger.nextFireDate(after: date) {
            dates.append(next)
            date = next
        }
        return dates
    }

    public func cancel(_ id: JobID) async throws -> Bool { try await node.cancel(id) }

    public func pause(_ id: JobID) async throws { try await node.pause(id) }

    public func resume(_ id: JobID, catchingUp: Bool) async throws { try await node.resume(id, catchingUp: catchingUp) }

    public func runNow(_ id: JobID) async throws { try await node.runNow(id) }

    /// Reaches nothing: the cluster store keeps no event-triggered jobs (creating one is refused)
    /// and no pipeline runs.
    public func send(signal key: String, payload: JSONValue?) async throws -> [SignalWaiter] { [] }

    public func onEvent(_ handler: @escaping @Sendable (ScheduleEvent) -> Void) -> ScheduleEventSubscription {
        events.add(handler)
    }

    /// The cluster's jobs and paused jobs; the runs going on this node.
    public func gauges() async throws -> ScheduleGauges {
        let jobs = try await node.storedJobs(status: nil)
        return ScheduleGauges(
            jobs: jobs.count, pausedJobs: jobs.count(where: { $0.status == .paused }), activeRuns: running.withLock { $0.executing },
            waitingRuns: 0)
    }

    public func storedRuns(of id: JobID, schedule: String, limit: Int) async throws -> [RunRecord]? {
        try await node.runs(of: id, limit: limit).compactMap { Self.record($0, schedule: schedule) }
    }

    public func storedActiveRuns() async throws -> [RunRecord]? {
        let running = try await node.runningRuns()
        guard !running.isEmpty else { return [] }
        var schedules: [JobID: String] = [:]
        for (key, id) in try await keyedJobs() { schedules[id] = key }
        return running.compactMap { run in schedules[run.jobID].flatMap { Self.record(run, schedule: $0) } }
    }

    /// Throws if ``start()``'s node stopped, or if the database does not answer within
    /// ``readinessTimeout``.
    public func checkReady() async throws {
        if let failure = running.withLock({ $0.failure }) { throw failure }
        let node = self.node
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.checkConnection() }
            group.addTask {
                try await Task.sleep(for: Self.readinessTimeout)
                throw PostgresSchedulerError.connectionLost("no answer within \(Self.readinessTimeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    public func sleep(for duration: Duration) async throws {
        let clock = node.configuration.clock
        try await clock.sleep(until: clock.now.date.addingTimeInterval(duration.inSeconds))
    }

    /// Connects and migrates the schema (throwing the node's start-up errors: an unreachable
    /// database, a wrong password, a schema newer than this code), then runs the node until
    /// ``stop(timeout:)``.
    public func start() async throws {
        try await node.migrate()
        let node = self.node
        let running = self.running
        let task = Task {
            do throws(PostgresSchedulerError) {
                try await node.run()
            } catch {
                running.withLock { $0.failure = error }
            }
        }
        running.withLock { $0.task = task }
    }

    /// Stops the node: it claims nothing more, waits for the runs going up to its lease (not
    /// `timeout`: a cluster node hands the runs still going after a lease back to other nodes,
    /// which run them again with the same idempotency key) and records them.
    public func stop(timeout: Duration) async -> Bool {
        guard let task = running.withLock({ $0.task }) else { return true }
        task.cancel()
        await task.value
        return running.withLock { $0.executing == 0 }
    }

    static func record(_ run: ClusterRun, schedule: String) -> RunRecord? {
        guard run.state != .pending, run.state != .missed else { return nil }
        return RunRecord(
            schedule: schedule, jobID: run.jobID.rawValue, dueDate: run.dueDate, attempt: run.attempt, startedAt: run.startedAt,
            endedAt: run.finishedAt, outcome: outcome(of: run), error: run.error.flatMap { $0.isEmpty ? nil : $0 })
    }

    static func outcome(of run: ClusterRun) -> RunRecord.Outcome {
        switch run.state {
        case .running, .pending: .running
        case .succeeded: .succeeded
        case .failed, .missed:
            if let error = run.error, error.hasPrefix("timed out") { .timedOut } else if run.error == "cancelled" { .cancelled } else { .failed }
        }
    }
}
