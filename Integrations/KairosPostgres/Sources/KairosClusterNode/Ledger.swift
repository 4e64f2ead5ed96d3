import Foundation
import KairosPostgres
import PostgresNIO

/// The shared tables every run and every node start are written to, read by the peer benchmarks
/// and the fault tests: `ledger(job_id, due, node, started)` and `marks(what, node, pid)` as in
/// `peer-benchmarks/cluster/ledger.sql`.
///
/// When `ledger` also has the columns `idempotency_key text` and `attempt int` (the fault tests'
/// ledger), each row carries the run's idempotency key and attempt too.
struct Ledger: Sendable {
    let client: PostgresClient
    let node: String
    let recordsAttempts: Bool

    /// Reads whether `ledger` has the attempt columns. A missing `ledger` table is an error: the
    /// benchmark harness and the tests create it before any node starts.
    static func open(client: PostgresClient, node: String) async throws -> Ledger {
        let rows = try await client.query(
            """
            SELECT count(*) FILTER (WHERE column_name IN ('idempotency_key', 'attempt')), count(*)
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'ledger'
            """)
        var extra = 0
        var all = 0
        for try await (withAttempts, columns) in rows.decode((Int, Int).self) {
            (extra, all) = (withAttempts, columns)
        }
        guard all > 0 else { throw NodeFailure("the database has no `ledger` table (peer-benchmarks/cluster/ledger.sql)") }
        return Ledger(client: client, node: node, recordsAttempts: extra == 2)
    }

    /// The first action of every run: one autocommitted insert, `due` being the slot exactly.
    ///
    /// While the database is unreachable (restarting), the insert is retried every 100 ms for up
    /// to `retryFor`: a run must not vanish from the ledger because the database blinked. An
    /// attempt without an answer within `answerTimeout` counts as an outage too: postgres-nio can
    /// leave a query written to a connection that closed meanwhile unanswered forever. An insert
    /// whose commit succeeded but whose answer was lost or late must not appear twice, so a retry
    /// writes the row only if the row of the first try (same job, slot, node and start time) is
    /// not there: a second row in the ledger is always a second run.
    func record(
        job: String, due: Date, idempotencyKey: String, attempt: Int, retryFor: Duration = .seconds(30),
        answerTimeout: Duration = .seconds(5)
    ) async throws {
        let started = Self.microseconds(Date())
        let slot = Self.microseconds(due)
        let deadline = ContinuousClock.now + retryFor
        var isRetry = false
        while true {
            do {
                try await withTimeLimit(answerTimeout) { [isRetry] in
                    try await insert(
                        job: job, slot: slot, started: started, idempotencyKey: idempotencyKey, attempt: attempt,
                        unlessWritten: isRetry)
                }
                return
            } catch let error where Self.isOutage(error) && ContinuousClock.now < deadline {
                isRetry = true
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Anything but an error the server answered with, other than refusing work while it shuts
    /// down or starts up (SQLSTATE class 57, operator intervention): a connection failure, no
    /// answer in time, or the pool failing requests while it cannot connect (its circuit breaker).
    private static func isOutage(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        guard let info = (error as? PSQLError)?.serverInfo else { return true }
        return info[.sqlState]?.hasPrefix("57") ?? false
    }

    /// In an explicit transaction: postgres-nio answers a single statement at its CommandComplete,
    /// which the server sends before the statement's implicit commit, so a database crash in between
    /// would lose a row this node believes written (a run that succeeded with no ledger row).
    ///
    /// With `unlessWritten`, the row is written only if no row has this job, slot, node and start
    /// time (a look-up the first try, the common case, does without).
    private func insert(
        job: String, slot: Int64, started: Int64, idempotencyKey: String, attempt: Int, unlessWritten: Bool
    ) async throws {
        let columns = recordsAttempts ? "job_id, due, node, started, idempotency_key, attempt" : "job_id, due, node, started"
        var query: PostgresQuery =
            recordsAttempts
            ? """
            INSERT INTO ledger(\(unescaped: columns))
            SELECT \(job), to_timestamp(\(slot)::float8 / 1000000), \(node),
                   to_timestamp(\(started)::float8 / 1000000), \(idempotencyKey), \(attempt)
            """
            : """
            INSERT INTO ledger(\(unescaped: columns))
            SELECT \(job), to_timestamp(\(slot)::float8 / 1000000), \(node),
                   to_timestamp(\(started)::float8 / 1000000)
            """
        if unlessWritten {
            // $1…$4 are the job, slot, node and start time bound above.
            query.sql += """

                WHERE NOT EXISTS (
                    SELECT 1 FROM ledger
                    WHERE job_id = $1 AND due = to_timestamp($2::float8 / 1000000) AND node = $3
                      AND started = to_timestamp($4::float8 / 1000000))
                """
        }
        _ = try await client.withTransaction(logger: Self.logger) { connection in
            try await connection.query(query, logger: Self.logger)
        }
    }

    private static let logger = Logger(label: "kairos-cluster-node.ledger")

    /// `INSERT INTO marks(what, node, pid) VALUES ('node_start', NAME, getpid())`.
    func markStart() async throws {
        try await client.query(
            "INSERT INTO marks(what, node, pid) VALUES ('node_start', \(node), \(Int(getpid())))")
    }

    /// Whether the ledger has a row of `job`.
    func hasRun(job: String) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM ledger WHERE job_id = \(job) LIMIT 1")
        for try await _ in rows { return true }
        return false
    }

    /// Microseconds since 1970, rounded, sent as an integer (`to_timestamp` rounds to the
    /// microsecond): postgres-nio's `Date` encoding truncates, which could turn a whole second into
    /// `…:59.999999`.
    private static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
