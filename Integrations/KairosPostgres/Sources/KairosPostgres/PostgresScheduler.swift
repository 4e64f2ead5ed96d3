import Foundation
import Kairos
import PostgresNIO
import Synchronization

/// One node of a Kairos cluster on PostgreSQL: every node shares the jobs in one database
/// schema, and every due slot of a job (the job and one due date) runs on exactly one node.
///
/// The programming model is `PersistentScheduler`'s: register named functions, schedule jobs
/// that call them with JSON arguments, and run the node:
///
/// ```swift
/// let node = try PostgresScheduler(configuration: try .init(url: "postgres://kairos@db/app"))
/// node.register("invoice.send") { context, arguments in
///     try await billing.send(arguments, idempotencyKey: context.idempotencyKey)
/// }
/// try await node.schedule(key: "nightly-invoices", name: "nightly invoices", function: "invoice.send",
///                         trigger: try CronTrigger("0 2 * * *"))
/// try await node.run()   // until the task is cancelled
/// ```
///
/// How it works (SPEC §"Cluster store"): a job row's `next_due` is materialised into a slot row
/// keyed by the run's idempotency key, under `FOR UPDATE SKIP LOCKED` on the job row, the next due
/// date computed from the previous one with the job's trigger; any node with free capacity claims
/// due slots in batches, with a lease, a fencing token and a lane (one running slot per job lane,
/// by a unique index); leases are renewed in one statement per node; any node moves an expired
/// lease's slot back to pending (attempt + 1, same key); a completion whose token no longer
/// matches is rejected. The database's clock decides what is due; this node's ``Configuration/clock``
/// only sleeps for the delays the database computed.
///
/// Execution is at least once: a run whose node dies, or loses its lease, runs again with the
/// same ``JobContext/idempotencyKey`` and a higher ``JobContext/attempt``.
public final class PostgresScheduler: Sendable {
    /// A job function: the run's context and the job's arguments.
    public typealias JobFunction = @Sendable (JobContext, JSONValue) async throws -> Void

    /// The node's configuration.
    public let configuration: Configuration
    let client: PostgresClient
    private let clientTask: Task<Void, Never>
    /// For postgres-nio (its own messages are not wanted below `.critical`).
    let queryLogger: Logger
    /// Stale completions, lost leases, failed passes.
    let logger: Logger
    /// `schema.`, to prefix table names in statements.
    let prefix: String
    /// The LISTEN/NOTIFY channel of the schema.
    let channel: String
    let functions = Mutex<[String: JobFunction]>([:])
    let local = Mutex(LocalRuns())
    /// Wakes the node's main loop: a notification, a finished run, a timer.
    let wake = WakeSignal()
    /// Wakes the completion writer.
    let completionsReady = WakeSignal()

    /// Creates a node; it connects lazily. Call ``run()`` to execute jobs; the other methods
    /// work without it (a process that only manages jobs need not run them), once the schema
    /// exists (``migrate()``).
    ///
    /// - Throws: ``PostgresSchedulerError/invalidSchemaName(_:)`` or
    ///   ``PostgresSchedulerError/invalidConfiguration(_:reason:)`` for a value out of range.
    public init(configuration: Configuration) throws(PostgresSchedulerError) {
        try configuration.validate()
        self.configuration = configuration
        var queryLogger = Logger(label: "kairos.postgres.nio")
        queryLogger.logLevel = .critical
        self.queryLogger = queryLogger
        var logger = Logger(label: "kairos.postgres")
        logger.logLevel = .notice
        logger[metadataKey: "node"] = "\(configuration.nodeID)"
        self.logger = logger
        self.prefix = configuration.schema + "."
        self.channel = "kairos_" + configuration.schema
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: queryLogger)
        self.client = client
        self.clientTask = Task { await client.run() }
    }

    deinit {
        clientTask.cancel()
    }

    /// Registers the function that runs jobs scheduled with `function: name`, replacing any
    /// previous one. This node claims only runs of registered functions; others wait for a node
    /// that registered theirs.
    public func register(_ name: String, _ body: @escaping JobFunction) {
        functions.withLock { $0[name] = body }
        wake.fire()
    }

    /// Connects, and creates or upgrades the schema (or, with
    /// ``Configuration/runsMigrations`` off, checks it). Nodes starting together migrate once.
    ///
    /// - Throws: ``PostgresSchedulerError/unreachable(host:port:reason:)``,
    ///   ``PostgresSchedulerError/authenticationFailed(user:reason:)``,
    ///   ``PostgresSchedulerError/databaseMissing(_:)``, ``PostgresSchedulerError/schemaMissing(_:)``,
    ///   ``PostgresSchedulerError/schemaNewerThanCode(found:supported:)``.
    public func migrate() async throws(PostgresSchedulerError) {
        let configuration = configuration
        let logger = queryLogger
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try configuration.connectionConfiguration(), id: 0, logger: logger)
            do {
                try await ClusterSchema.prepare(
                    configuration.schema, on: connection, migrating: configuration.runsMigrations, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    /// Runs this node until the task is cancelled: migrates (``migrate()``), listens for
    /// changes, materialises due slots, claims and executes runs of the registered functions,
    /// renews its leases, rescues expired ones and prunes old history.
    ///
    /// Cancelling the task stops it gracefully: it claims nothing more, waits up to
    /// ``Configuration/shutdownGracePeriod`` for the runs going, records them, and hands the
    /// others back (pending, attempt + 1) for other nodes. It returns within the grace period plus
    /// one second, also when the database does not answer.
    ///
    /// - Throws: the errors of ``migrate()`` at start; once running, database errors are
    ///   logged and retried (the node reconnects), never thrown; a statement without an answer
    ///   within ``Configuration/queryTimeout`` counts as such an error.
    public func run() async throws(PostgresSchedulerError) {
        try await migrate()
        let started = local.withLock { local -> Bool in
            guard !local.isRunning else { return false }
            local.isRunning = true
            return true
        }
        guard started else { throw .invalidConfiguration("run()", reason: "this node is already running") }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenLoop() }
            group.addTask { await self.heartbeatLoop() }
            group.addTask { await self.completionLoop() }
            await self.mainLoop()
            group.cancelAll()
        }
        await Task { await self.shutDown() }.value
        local.withLock { $0.isRunning = false }
    }

    // MARK: - The main loop

    /// Materialises, claims, rescues and prunes, then sleeps until the next thing to do or a wake-up.
    ///
    /// A pass materialises only when a job may be due: at the next due date of a pending job that
    /// the last materialising pass read, after a change notification (or the listen connection
    /// (re)connecting), and at least every ``Configuration/pollInterval``. The other passes (one
    /// after every batch of finished runs, at high rates) only claim.
    private func mainLoop() async {
        var lastRescue = ContinuousClock.now - .seconds(3600)
        var lastPrune = ContinuousClock.now
        var lastMaterialize = ContinuousClock.now - .seconds(3600)
        /// When a job is due next, on the configured clock; `nil`: not known (materialise).
        var jobsDueAt: Date?
        let clock = configuration.clock
        try? await registerNode()
        while !Task.isCancelled {
            var progress = false
            do {
                let changed = local.withLock { local in
                    defer { local.jobsChanged = false }
                    return local.jobsChanged
                }
                let materializes =
                    changed || jobsDueAt.map { clock.now.date >= $0 } ?? true
                    || ContinuousClock.now - lastMaterialize >= configuration.pollInterval
                if materializes { lastMaterialize = .now }
                // Materialising and claiming go at once, on two connections: the slots made now
                // are claimed in the next pass.
                async let pass: MaterializePass? = materializes ? materializePass() : nil
                async let claimed = claimAndStart()
                if ContinuousClock.now - lastRescue >= configuration.leaseDuration / 3 {
                    lastRescue = .now
                    _ = try await rescueExpiredLeases()
                }
                if ContinuousClock.now - lastPrune >= .seconds(60) {
                    lastPrune = .now
                    _ = try await pruneHistory()
                }
                if let pass = try await pass {
                    progress = pass.made > 0
                    jobsDueAt = Self.nextMaterializing(after: pass, now: clock.now.date)
                }
                progress = try await claimed > 0 || progress
            } catch {
                if Task.isCancelled { break }
                logger.warning("pass failed, retrying: \(PostgresSchedulerError(error, configuration: configuration))")
                jobsDueAt = nil
                await sleep(for: .milliseconds(500))
                continue
            }
            if progress, freeCapacity > 0 { continue }
            var delay = min(configuration.pollInterval, configuration.leaseDuration / 3)
            if let jobsDueAt { delay = min(delay, .seconds(max(0, jobsDueAt.timeIntervalSince(clock.now.date)))) }
            // With capacity free and nothing claimed, when does a slot become claimable? (With
            // none free, a finished run wakes the loop.)
            if !progress, freeCapacity > 0, let due = try? await delayUntilClaimableSlot() {
                delay = min(delay, due <= .zero ? .milliseconds(250) : due)
            }
            if delay > .zero { await sleep(for: delay) }
        }
    }

    /// When the next materialising pass may have work, after `pass`: `nil` (at once) if it made
    /// slots, since more may be due; in 250 ms if a due job is left (another node is
    /// materialising it); else at the next due date, or never if no job has one (a change
    /// notification or the poll interval still starts a pass).
    private static func nextMaterializing(after pass: MaterializePass, now: Date) -> Date? {
        if pass.made > 0 { return nil }
        guard let next = pass.nextJobDue else { return .distantFuture }
        return now.addingTimeInterval(next <= .zero ? 0.25 : next.seconds)
    }

    /// Sleeps for `delay` on the configured clock, or until woken or cancelled.
    func sleep(for delay: Duration) async {
        let clock = configuration.clock
        let wake = wake
        let timer = Task {
            do {
                try await clock.sleep(until: clock.now.date.addingTimeInterval(delay.seconds))
                wake.fire()
            } catch {}
        }
        await wake.wait()
        timer.cancel()
    }

    /// The delay from the database's clock to the due date of the earliest slot this node could
    /// claim (zero or less: one is due but was not claimed, locked by another node or waiting for
    /// a lane), or `nil` if there is none.
    private func delayUntilClaimableSlot() async throws -> Duration? {
        let names = registeredFunctions
        let answer = try await rows(
            """
            SELECT extract(epoch FROM (
                SELECT min(s.due) FROM \(unescaped: prefix)slots s JOIN \(unescaped: prefix)jobs j ON j.id = s.job_id
                WHERE s.state = 'pending' AND s.function = ANY(\(names)) AND (j.status NOT IN ('paused', 'cancelled') OR s.manual)
            ) - clock_timestamp())::float8
            """)
        guard let seconds = try answer.first?.decode(Double?.self) else { return nil }
        return .seconds(seconds)
    }

    var registeredFunctions: [String] { functions.withLock { Array($0.keys) } }

    var freeCapacity: Int {
        local.withLock { configuration.maxConcurrentRuns - $0.active.count }
    }

    /// The longest this node waits for the answer to a statement or a transaction: a second more
    /// than the server's `statement_timeout`.
    var answerTimeout: Duration { configuration.queryTimeout + .seconds(1) }

    /// Runs one statement on a pooled connection and returns its rows; gives up after `limit`
    /// (default: ``answerTimeout``) or when the task is cancelled, answered or not.
    @discardableResult
    func rows(_ query: PostgresQuery, limit: Duration? = nil) async throws -> [PostgresRow] {
        let client = client, logger = queryLogger
        return try await withTimeLimit(limit ?? answerTimeout) { try await client.query(query, logger: logger).collect() }
    }

    /// Runs `body` in a transaction, retrying it on a serialization failure or a deadlock; each
    /// attempt gives up after `limit` (default: ``answerTimeout``) or when the task is cancelled.
    func transaction<Result: Sendable>(
        limit: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let client = client, logger = queryLogger
        var attempt = 0
        while true {
            do {
                return try await withTimeLimit(limit ?? answerTimeout) {
                    try await client.withTransaction(logger: logger) { connection in try await body(connection) }
                }
            } catch {
                attempt += 1
                let state = PostgresSchedulerError.sqlState(of: error)
                guard attempt < 5, state == "40001" || state == "40P01" else { throw error }
            }
        }
    }

    /// Sends the change notification for `job` inside the changing transaction.
    func notify(_ kind: String, _ job: JobID, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \("\(kind):\(job.rawValue)"))", logger: queryLogger)
    }
}

/// What a node runs: its claimed runs by slot key, and the finished ones waiting to be recorded.
struct LocalRuns {
    struct Active {
        var jobID: JobID
        var token: Int64
        var task: Task<Void, Never>?
    }

    struct Finished {
        var key: String
        var token: Int64
        var succeeded: Bool
        var error: String
        var timedOut: Bool
    }

    var isRunning = false
    /// A change notification arrived (or the listen connection (re)connected) since the main loop
    /// last looked: jobs may be due that were not.
    var jobsChanged = true
    var active: [String: Active] = [:]
    var finished: [Finished] = []
    /// Completions refused because the slot's token had changed.
    var staleCompletions = 0
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
