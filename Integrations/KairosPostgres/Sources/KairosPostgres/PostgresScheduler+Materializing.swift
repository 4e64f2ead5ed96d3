import Foundation
import Kairos
import PostgresNIO

/// Materialising: turning jobs' due dates into slot rows, exactly once whichever nodes do it.
extension PostgresScheduler {
    /// A job row locked for materialising.
    private struct DueJob {
        var id: Int64
        var name: String
        var function: String
        var trigger: TriggerDescription
        var options: JobOptions
        var overlap: String
        var lanes: Int
        var bufferLimit: Int
        var maxRuns: Int64?
        var fired: Int64
        var version: Int64
        var nextDue: Double
        var running = 0
        var pending = 0
    }

    /// What materialising decided for one job.
    private struct Decision {
        var slots: [(key: String, due: Double, state: String, error: String)] = []
        var next: Double?
        var lastDue: Double?
        var fired = 0
        var missed = 0
        var overlapSkipped = 0
        var bufferDropped = 0
        /// Drop the job's pending slots (bufferOne: the newest replaces them).
        var dropsPending = false
    }

    /// Materialises the slots due by the database's `now()` of up to
    /// ``Configuration/materializeBatchSize`` jobs in one transaction: locks their rows
    /// (`FOR UPDATE SKIP LOCKED`, so nodes share the work), computes each job's slots from its
    /// stored next due date with its trigger, its misfire policy when it is late by more than
    /// ``Configuration/misfireThreshold``, its `maxRuns` and its overlap policy, inserts them
    /// (`ON CONFLICT DO NOTHING`) and advances `next_due` under a version check.
    ///
    /// - Returns: the number of slots created (pending or missed).
    package func materializeDueSlots() async throws -> Int {
        try await materializePass().made
    }

    /// What one materialising pass did, and when the next one has work.
    struct MaterializePass {
        /// The slots created (pending or missed).
        var made: Int
        /// The delay from the database's clock, at the pass's end, to the earliest next due date
        /// of a pending job (zero or less: one is due, locked by another node or beyond the
        /// pass's budget); `nil` if no job has one.
        var nextJobDue: Duration?
    }

    /// ``materializeDueSlots()``, and the delay until a job is due next, read in the same
    /// transaction after the pass (so it counts the due dates the pass advanced).
    func materializePass() async throws -> MaterializePass {
        let configuration = configuration
        return try await transaction { connection in
            var made = 0
            var jobs = try await self.lockDueJobs(on: connection)
            if !jobs.isEmpty {
                made = try await self.materialize(&jobs, on: connection, configuration: configuration)
            }
            let next: Double? =
                try await connection.query(
                    """
                    SELECT extract(epoch FROM min(next_due) - clock_timestamp())::float8
                    FROM \(unescaped: self.prefix)jobs WHERE status = 'pending'
                    """, logger: self.queryLogger
                ).collect().first?.decode(Double?.self) ?? nil
            return MaterializePass(made: made, nextJobDue: next.map { .seconds($0) })
        }
    }

    /// Decides the locked due `jobs`' slots and writes them; returns how many it made.
    private func materialize(
        _ jobs: inout [DueJob], on connection: PostgresConnection, configuration: Configuration
    ) async throws -> Int {
        let ids = jobs.map(\.id)
        let counts = try await connection.query(
            """
            SELECT job_id, count(*) FILTER (WHERE state = 'running')::int8, count(*) FILTER (WHERE state = 'pending')::int8
            FROM \(unescaped: prefix)slots WHERE job_id = ANY(\(ids)) AND state IN ('pending', 'running') GROUP BY job_id
            """, logger: queryLogger
        ).collect()
        var unfinished: [Int64: (Int64, Int64)] = [:]
        for row in counts {
            let (job, running, pending) = try row.decode((Int64, Int64, Int64).self)
            unfinished[job] = (running, pending)
        }
        let now = try await databaseNow(connection).epoch
        var budget = configuration.materializeBatchSize
        var decisions: [(DueJob, Decision)] = []
        for index in jobs.indices {
            if let (running, pending) = unfinished[jobs[index].id] {
                jobs[index].running = Int(running)
                jobs[index].pending = Int(pending)
            }
            let decision = try Self.decide(for: jobs[index], now: now, budget: max(1, budget), configuration: configuration)
            budget -= decision.slots.count
            decisions.append((jobs[index], decision))
        }
        try await write(decisions, on: connection)
        return decisions.reduce(0) { $0 + $1.1.slots.count }
    }

    private func lockDueJobs(on connection: PostgresConnection) async throws -> [DueJob] {
        let rows = try await connection.query(
            """
            SELECT id, name, function, trigger::text, options::text, overlap, lanes, buffer_limit, max_runs, fired, version,
                extract(epoch FROM next_due)::float8
            FROM \(unescaped: prefix)jobs
            WHERE status = 'pending' AND next_due <= now()
            ORDER BY next_due LIMIT \(configuration.materializeBatchSize)
            FOR UPDATE SKIP LOCKED
            """, logger: queryLogger
        ).collect()
        return try rows.map { row in
            let (id, name, function, trigger, options, overlap, lanes, bufferLimit, maxRuns, fired, version, nextDue) = try row.decode(
                (Int64, String, String, String, String, String, Int, Int, Int64?, Int64, Int64, Double).self)
            return DueJob(
                id: id, name: name, function: function, trigger: try JSONText.trigger(trigger), options: try JSONText.options(options),
                overlap: overlap, lanes: lanes, bufferLimit: bufferLimit, maxRuns: maxRuns, fired: fired, version: version,
                nextDue: nextDue)
        }
    }

    /// Decides a due job's slots; `now` and the dates are seconds since 1970.
    private static func decide(for job: DueJob, now: Double, budget: Int, configuration: Configuration) throws -> Decision {
        var decision = Decision()
        let trigger = try job.trigger.makeTrigger()
        // The stored next due date is the trigger's rounded to the microsecond: every date is
        // computed from the trigger's own one, else the trigger's next date after a stored date
        // rounded down would be that same date again (materialised twice, counted twice as fired).
        let stored = Self.triggerDate(near: Date(epoch: job.nextDue), of: trigger)
        var dues: [Date] = []
        if now - job.nextDue <= configuration.misfireThreshold.seconds {
            dues = [stored]
            var next = trigger.nextFireDate(after: stored)
            while let due = next, due.epoch <= now, dues.count < budget {
                dues.append(due)
                next = trigger.nextFireDate(after: due)
            }
            decision.next = next?.epoch
        } else {
            let selection = MisfireSelection(
                trigger: trigger, firstMissed: stored, now: Date(epoch: now),
                policy: job.options.misfire ?? configuration.defaultMisfire, limit: budget)
            dues = selection.dueDatesToRun
            decision.missed = selection.missedCount
            decision.next = selection.nextDueDate?.epoch
        }
        if let maxRuns = job.maxRuns {
            let allowed = max(0, Int(maxRuns - job.fired))
            if dues.count >= allowed {
                dues = Array(dues.prefix(allowed))
                decision.next = nil
            }
        }
        decision.fired = dues.count
        decision.lastDue = dues.last?.epoch
        // The overlap policy, against the runs going or waiting when the slots are made.
        let busy = job.running + job.pending
        var states = Array(repeating: "pending", count: dues.count)
        var errors = Array(repeating: "", count: dues.count)
        switch job.overlap {
        case "skip" where busy > 0:
            for index in states.indices { (states[index], errors[index]) = ("missed", "overlap: a run was going (skip)") }
            decision.overlapSkipped = dues.count
        case "allowAll":
            for index in states.indices where busy + index >= job.lanes {
                (states[index], errors[index]) = ("missed", "overlap: \(job.lanes) runs going (allowAll)")
                decision.overlapSkipped += 1
            }
        case "bufferOne" where busy > 0:
            // The newest due date waits; older waiting ones are dropped.
            decision.dropsPending = job.pending > 0
            decision.bufferDropped = job.pending
            for index in states.indices.dropLast() {
                (states[index], errors[index]) = ("missed", "overlap: replaced by a newer due date (bufferOne)")
                decision.bufferDropped += 1
            }
        case "bufferAll":
            let capacity = job.bufferLimit - job.pending + (job.running == 0 && job.pending == 0 ? 1 : 0)
            for index in states.indices where index >= capacity {
                (states[index], errors[index]) = ("missed", "overlap: buffer of \(job.bufferLimit) full (bufferAll)")
                decision.bufferDropped += 1
            }
        default:
            break
        }
        let jobID = JobID(rawValue: UInt64(job.id))
        for (index, due) in dues.enumerated() {
            let date = due.roundedToMicroseconds
            decision.slots.append((slotKey(job: jobID, due: date), date.epoch, states[index], errors[index]))
        }
        return decision
    }

    /// The trigger's due date that `stored` (a due date rounded to the microsecond) stands for, or
    /// `stored` if the trigger has none within a microsecond of it.
    private static func triggerDate(near stored: Date, of trigger: any Trigger) -> Date {
        guard let date = trigger.nextFireDate(after: stored.addingTimeInterval(-0.000_001)),
            abs(date.timeIntervalSince(stored)) <= 0.000_001
        else { return stored }
        return date
    }

    /// Inserts the slots and advances the jobs, in three statements for the whole batch.
    private func write(_ decisions: [(DueJob, Decision)], on connection: PostgresConnection) async throws {
        let dropping = decisions.filter(\.1.dropsPending).map(\.0.id)
        if !dropping.isEmpty {
            try await connection.query(
                """
                UPDATE \(unescaped: prefix)slots SET state = 'missed', finished_at = now(),
                    error = 'overlap: replaced by a newer due date (bufferOne)'
                WHERE job_id = ANY(\(dropping)) AND state = 'pending' AND NOT manual
                """, logger: queryLogger)
        }
        var keys: [String] = [], jobIDs: [Int64] = [], functions: [String] = [], dues: [Double] = []
        var states: [String] = [], errors: [String] = []
        for (job, decision) in decisions {
            for slot in decision.slots {
                keys.append(slot.key)
                jobIDs.append(job.id)
                functions.append(job.function)
                dues.append(slot.due)
                states.append(slot.state)
                errors.append(slot.error)
            }
        }
        if !keys.isEmpty {
            try await connection.query(
                """
                INSERT INTO \(unescaped: prefix)slots (key, job_id, function, due, state, error, finished_at)
                SELECT u.key, u.job_id, u.function, to_timestamp(u.due), u.state, NULLIF(u.error, ''),
                    CASE WHEN u.state = 'missed' THEN now() END
                FROM unnest(\(keys)::text[], \(jobIDs)::int8[], \(functions)::text[], \(dues)::float8[], \(states)::text[], \(errors)::text[])
                    AS u(key, job_id, function, due, state, error)
                ON CONFLICT (key) DO NOTHING
                """, logger: queryLogger)
        }
        let ids = decisions.map(\.0.id)
        let versions = decisions.map(\.0.version)
        let nexts = decisions.map { $0.1.next ?? .nan }
        let lasts = decisions.map { $0.1.lastDue ?? .nan }
        let fired = decisions.map { Int64($0.1.fired) }
        let missed = decisions.map { Int64($0.1.missed) }
        let skipped = decisions.map { Int64($0.1.overlapSkipped) }
        let dropped = decisions.map { Int64($0.1.bufferDropped) }
        try await connection.query(
            """
            UPDATE \(unescaped: prefix)jobs j SET
                next_due = CASE WHEN u.next = 'NaN' THEN NULL ELSE to_timestamp(u.next) END,
                last_due = CASE WHEN u.last = 'NaN' THEN j.last_due ELSE to_timestamp(u.last) END,
                status = CASE WHEN u.next = 'NaN' AND NOT j.untimed AND u.fired = 0 AND NOT EXISTS (
                        SELECT 1 FROM \(unescaped: prefix)slots s WHERE s.job_id = j.id AND s.state IN ('pending', 'running'))
                    THEN 'completed' ELSE j.status END,
                fired = j.fired + u.fired, missed = j.missed + u.missed, overlap_skipped = j.overlap_skipped + u.skipped,
                buffer_dropped = j.buffer_dropped + u.dropped, version = j.version + 1, updated_at = now()
            FROM unnest(\(ids)::int8[], \(versions)::int8[], \(nexts)::float8[], \(lasts)::float8[], \(fired)::int8[],
                \(missed)::int8[], \(skipped)::int8[], \(dropped)::int8[])
                AS u(id, version, next, last, fired, missed, skipped, dropped)
            WHERE j.id = u.id AND j.version = u.version
            """, logger: queryLogger)
    }
}
