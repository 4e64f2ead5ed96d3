import Foundation
import Kairos
import PostgresNIO

/// What a front end over the cluster (the HTTP server) reads besides whole jobs: a job by its
/// key, the runs going on every node, and whether the database answers.
extension PostgresScheduler {
    /// The ID of the job declared under `key`, or `nil` if no job has it (a cancelled job's key is
    /// free).
    public func jobID(forKey key: String) async throws(PostgresSchedulerError) -> JobID? {
        do {
            let rows = try await client.query("SELECT id FROM \(unescaped: prefix)jobs WHERE key = \(key)", logger: queryLogger).collect()
            return try rows.first.map { JobID(rawValue: UInt64(try $0.decode(Int64.self))) }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    /// The slots running now on any node, oldest start first, at most `limit`.
    public func runningRuns(limit: Int = 1000) async throws(PostgresSchedulerError) -> [ClusterRun] {
        do {
            let rows = try await client.query(
                """
                SELECT key, job_id, extract(epoch FROM due)::float8, manual, attempt, owner,
                    extract(epoch FROM started_at)::float8
                FROM \(unescaped: prefix)slots WHERE state = 'running'
                ORDER BY started_at, key LIMIT \(max(0, limit))
                """, logger: queryLogger
            ).collect()
            return try rows.map { row in
                let (key, job, due, manual, attempt, node, started) = try row.decode((String, Int64, Double, Bool, Int, String?, Double?).self)
                return ClusterRun(
                    key: key, jobID: JobID(rawValue: UInt64(job)), dueDate: Date(epoch: due), isManual: manual, state: .running,
                    attempt: attempt, node: node, startedAt: started.map(Date.init(epoch:)), finishedAt: nil, error: nil)
            }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    /// Throws unless the database answers a query now (a readiness probe).
    public func checkConnection() async throws(PostgresSchedulerError) {
        do {
            _ = try await client.query("SELECT 1", logger: queryLogger).collect()
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }
}
