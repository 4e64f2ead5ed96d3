import Foundation
import PostgresNIO

/// The scheduler's tables in their PostgreSQL schema, and the migrations that create them.
///
/// Version 1 (SPEC §"Cluster store" documents every column):
/// - `schema_version`: one row, the version the schema is at.
/// - `jobs`: one row per job: its declaration, status, `version` (grows with every change),
///   `next_due` (the next slot to materialise), counters.
/// - `slots`: one row per (job, due date), keyed by the run's idempotency key: its state
///   (`pending`, `running`, `succeeded`, `failed`, `missed`), attempt, owner node, lease, fencing
///   token and lane; a partial unique index allows one running slot per (job, lane).
/// - `nodes`: one row per node, with its last heartbeat.
/// - `fencing_tokens`: the sequence of fencing tokens.
enum ClusterSchema {
    /// The newest schema version this code knows.
    static let currentVersion = 1

    /// The statements of each migration, oldest first: migration `n` takes the schema from
    /// version `n - 1` to `n`.
    static func migrations(in schema: String) -> [[String]] {
        [
            [
                """
                CREATE TABLE \(schema).jobs (
                    id bigserial PRIMARY KEY,
                    key text UNIQUE,
                    name text NOT NULL,
                    function text NOT NULL,
                    arguments jsonb NOT NULL,
                    trigger jsonb NOT NULL,
                    options jsonb NOT NULL,
                    untimed boolean NOT NULL,
                    overlap text NOT NULL,
                    lanes integer NOT NULL CHECK (lanes >= 1),
                    buffer_limit integer NOT NULL,
                    max_runs bigint,
                    timeout_ms bigint,
                    status text NOT NULL CHECK (status IN ('pending', 'paused', 'completed', 'failed', 'cancelled')),
                    version bigint NOT NULL DEFAULT 1,
                    next_due timestamptz,
                    last_due timestamptz,
                    paused_at timestamptz,
                    fired bigint NOT NULL DEFAULT 0,
                    runs bigint NOT NULL DEFAULT 0,
                    failures bigint NOT NULL DEFAULT 0,
                    timeouts bigint NOT NULL DEFAULT 0,
                    missed bigint NOT NULL DEFAULT 0,
                    overlap_skipped bigint NOT NULL DEFAULT 0,
                    buffer_dropped bigint NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX jobs_due ON \(schema).jobs (next_due) WHERE status = 'pending'",
                """
                CREATE TABLE \(schema).slots (
                    key text PRIMARY KEY,
                    job_id bigint NOT NULL REFERENCES \(schema).jobs (id) ON DELETE CASCADE,
                    function text NOT NULL,
                    due timestamptz NOT NULL,
                    manual boolean NOT NULL DEFAULT false,
                    state text NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'missed')),
                    attempt integer NOT NULL DEFAULT 1,
                    owner text,
                    lease_until timestamptz,
                    token bigint,
                    lane integer,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    started_at timestamptz,
                    finished_at timestamptz,
                    error text
                )
                """,
                "CREATE INDEX slots_pending ON \(schema).slots (due) WHERE state = 'pending'",
                "CREATE INDEX slots_leases ON \(schema).slots (lease_until) WHERE state = 'running'",
                "CREATE INDEX slots_owner ON \(schema).slots (owner) WHERE state = 'running'",
                "CREATE INDEX slots_finished ON \(schema).slots (finished_at) WHERE state IN ('succeeded', 'failed', 'missed')",
                "CREATE INDEX slots_job ON \(schema).slots (job_id, due)",
                "CREATE UNIQUE INDEX slots_one_running_per_lane ON \(schema).slots (job_id, lane) WHERE state = 'running'",
                """
                CREATE TABLE \(schema).nodes (
                    id text PRIMARY KEY,
                    started_at timestamptz NOT NULL DEFAULT now(),
                    heartbeat_at timestamptz NOT NULL DEFAULT now(),
                    functions text[] NOT NULL DEFAULT '{}'
                )
                """,
                "CREATE SEQUENCE \(schema).fencing_tokens",
            ]
        ]
    }

    /// Brings the schema to ``currentVersion`` (or, without `migrating`, checks that it is
    /// there), holding a session advisory lock so that nodes starting together migrate once.
    ///
    /// - Returns: the version found before migrating (0 for a new database).
    @discardableResult
    static func prepare(
        _ schema: String, on connection: PostgresConnection, migrating: Bool, logger: Logger
    ) async throws -> Int {
        guard migrating else {
            let version = try await version(of: schema, on: connection, logger: logger)
            guard let version, version > 0 else { throw PostgresSchedulerError.schemaMissing(schema) }
            guard version <= currentVersion else {
                throw PostgresSchedulerError.schemaNewerThanCode(found: version, supported: currentVersion)
            }
            guard version == currentVersion else { throw PostgresSchedulerError.schemaMissing(schema) }
            return version
        }
        let lockKey = "kairos.migrate.\(schema)"
        try await connection.query("SELECT pg_advisory_lock(hashtext(\(lockKey)))", logger: logger)
        do {
            let found = try await migrateLocked(schema, on: connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
            return found
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
            throw error
        }
    }

    private static func migrateLocked(_ schema: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS \(unescaped: schema).schema_version (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                version integer NOT NULL,
                migrated_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let found = try await version(of: schema, on: connection, logger: logger) ?? 0
        guard found <= currentVersion else {
            throw PostgresSchedulerError.schemaNewerThanCode(found: found, supported: currentVersion)
        }
        let steps = migrations(in: schema)
        for target in (found + 1)...max(found + 1, currentVersion) where target <= currentVersion {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in steps[target - 1] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: schema).schema_version (singleton, version) VALUES (true, \(target))
                    ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()
                    """, logger: logger)
            }
        }
        return found
    }

    /// The schema's version, or `nil` if it has no version table.
    static func version(of schema: String, on connection: PostgresConnection, logger: Logger) async throws -> Int? {
        let exists =
            try await connection.query(
                "SELECT to_regclass(\(schema + ".schema_version")) IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return nil }
        let rows = try await connection.query("SELECT version FROM \(unescaped: schema).schema_version", logger: logger).collect()
        return try rows.first?.decode(Int.self) ?? 0
    }
}
