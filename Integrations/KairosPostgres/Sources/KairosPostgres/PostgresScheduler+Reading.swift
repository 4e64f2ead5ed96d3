import Foundation
import Kairos
import PostgresNIO

/// Reading jobs and their run history.
extension PostgresScheduler {
    /// The job with this ID, or `nil` if there is none. A job with a slot running reports
    /// ``JobStatus/running``; ``StoredJob/counters`` are the cluster's.
    public func storedJob(_ id: JobID) async throws(PostgresSchedulerError) -> StoredJob? {
        try await readJobs(where: "j.id = \(id.rawValue)").first
    }

    /// The jobs, or those with `status`, ordered by ID.
    public func storedJobs(status: JobStatus? = nil) async throws(PostgresSchedulerError) -> [StoredJob] {
        let jobs = try await readJobs(where: "true")
        guard let status else { return jobs }
        return jobs.filter { $0.status == status }
    }

    /// The latest slots of a job, newest due date first: due date, attempt, node, start, end,
    /// outcome, error. Finished slots older than ``Configuration/historyRetention`` are pruned.
    public func runs(of id: JobID, limit: Int = 100) async throws(PostgresSchedulerError) -> [ClusterRun] {
        do {
            let answer = try await rows(
                """
                SELECT key, extract(epoch FROM due)::float8, manual, state, attempt, owner,
                    extract(epoch FROM started_at)::float8, extract(epoch FROM finished_at)::float8, error
                FROM \(unescaped: prefix)slots WHERE job_id = \(Int64(id.rawValue))
                ORDER BY due DESC, key DESC LIMIT \(max(0, limit))
                """)
            return try answer.map { row in
                let (key, due, manual, state, attempt, node, started, finished, error) = try row.decode(
                    (String, Double, Bool, String, Int, String?, Double?, Double?, String?).self)
                return ClusterRun(
                    key: key, jobID: id, dueDate: Date(epoch: due), isManual: manual, state: ClusterRun.State(rawValue: state) ?? .failed,
                    attempt: attempt, node: node, startedAt: started.map(Date.init(epoch:)),
                    finishedAt: finished.map(Date.init(epoch:)), error: error)
            }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }

    private func readJobs(where condition: String) async throws(PostgresSchedulerError) -> [StoredJob] {
        do {
            let answer = try await rows(
                """
                SELECT j.id, j.key, j.name, j.function, j.arguments::text, j.trigger::text, j.options::text,
                    CASE WHEN j.status = 'pending' AND EXISTS (
                        SELECT 1 FROM \(unescaped: prefix)slots s WHERE s.job_id = j.id AND s.state = 'running') THEN 'running'
                    ELSE j.status END,
                    j.runs, j.failures, j.timeouts, j.missed, j.overlap_skipped, j.buffer_dropped,
                    extract(epoch FROM j.next_due)::float8, extract(epoch FROM j.last_due)::float8
                FROM \(unescaped: prefix)jobs j WHERE \(unescaped: condition) ORDER BY j.id
                """)
            return try answer.map { row in
                let (id, key, name, function, arguments, trigger, options, status, runs, failures, timeouts, missed, skipped, dropped, next, last) =
                    try row.decode(
                        (Int64, String?, String, String, String, String, String, String, Int64, Int64, Int64, Int64, Int64, Int64, Double?, Double?)
                            .self)
                return StoredJob(
                    id: JobID(rawValue: UInt64(id)), key: key, name: name, function: function,
                    arguments: try JSONText.decode(arguments, column: "arguments"), trigger: try JSONText.trigger(trigger),
                    options: try JSONText.options(options), status: JobStatus(rawValue: status) ?? .pending,
                    counters: JobCounters(
                        runs: Int(runs), failures: Int(failures), timeouts: Int(timeouts), missed: Int(missed),
                        overlapSkipped: Int(skipped), bufferDropped: Int(dropped)),
                    nextDueDate: next.map(Date.init(epoch:)), lastDueDate: last.map(Date.init(epoch:)))
            }
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }
}
