import Foundation
import Kairos
import PostgresNIO

/// What a front end over the cluster (the HTTP server) reads besides whole jobs: a job by its
/// key, the runs going on every node, the nodes, and whether the database answers. Each gives up
/// after the configuration's `queryTimeout` and a second, like every statement of a node.
extension PostgresScheduler {
    /// The ID of the job declared under `key`, or `nil` if no job has it (a cancelled job's key is
    /// free).
    public func jobID(forKey key: String) async throws(PostgresSchedulerError) -> JobID? {
        do {
            let answer = try await rows("SELECT id FROM \(unescaped: prefix)jobs WHERE key = \(key)")
            return try answer.first.map { JobID(rawValue: UInt64(try $0.decode(Int64.self))) }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    /// The slots running now on any node, oldest start first, at most `limit`.
    public func runningRuns(limit: Int = 1000) async throws(PostgresSchedulerError) -> [ClusterRun] {
        do {
            let answer = try await rows(
                """
                SELECT key, job_id, extract(epoch FROM due)::float8, manual, attempt, owner,
                    extract(epoch FROM started_at)::float8
                FROM \(unescaped: prefix)slots WHERE state = 'running'
                ORDER BY started_at, key LIMIT \(max(0, limit))
                """)
            return try answer.map { row in
                let (key, job, due, manual, attempt, node, started) = try row.decode((String, Int64, Double, Bool, Int, String?, Double?).self)
                return ClusterRun(
                    key: key, jobID: JobID(rawValue: UInt64(job)), dueDate: Date(epoch: due), isManual: manual, state: .running,
                    attempt: attempt, node: node, startedAt: started.map(Date.init(epoch:)), finishedAt: nil, error: nil)
            }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    /// The nodes the `nodes` table knows (live ones and those silent for less than
    /// ``Configuration/historyRetention``), by ID.
    public func nodes() async throws(PostgresSchedulerError) -> [ClusterNodeStatus] {
        let leaseSeconds = configuration.leaseDuration.seconds
        do {
            let answer = try await rows(
                """
                SELECT id, extract(epoch FROM started_at)::float8, extract(epoch FROM heartbeat_at)::float8,
                    heartbeat_at > now() - make_interval(secs => \(leaseSeconds)), functions
                FROM \(unescaped: prefix)nodes ORDER BY id
                """)
            return try answer.map { row in
                let (id, started, heartbeat, alive, functions) = try row.decode((String, Double, Double, Bool, [String]).self)
                return ClusterNodeStatus(
                    id: id, startedAt: Date(epoch: started), heartbeatAt: Date(epoch: heartbeat), isAlive: alive, functions: functions)
            }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    /// Throws unless the database answers a query now (a readiness probe).
    public func checkConnection() async throws(PostgresSchedulerError) {
        do {
            try await rows("SELECT 1")
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }
}
