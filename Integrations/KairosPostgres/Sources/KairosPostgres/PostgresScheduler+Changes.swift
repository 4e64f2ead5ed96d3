import Foundation
import Kairos
import PostgresNIO

/// Changes to jobs: each commits with a `pg_notify` in the same transaction, so that every node
/// re-reads the schedule at once.
extension PostgresScheduler {
    /// Adds a job, or with a `key`, declares the job stored under it, and returns its ID once
    /// it is committed.
    ///
    /// With a key, scheduling is an upsert (nodes that all declare their schedules at start-up
    /// keep one job per key): an unchanged declaration leaves the job as it is; a changed one
    /// updates it in place, keeping its ID and counters (a new trigger restarts it from its
    /// first due date, also for a finished job). ``cancel(_:)`` frees the key.
    ///
    /// The function need not be registered on this node. An ``IntervalTrigger`` without a start
    /// is anchored at the database's `now()`. A ``OnceTrigger`` due by the database's `now()`
    /// gets its slot in the same transaction, ready to claim.
    ///
    /// - Throws: ``PostgresSchedulerError/triggerNotSupported(_:)`` for a custom or event
    ///   trigger, ``PostgresSchedulerError/invalidJobKey(_:reason:)``,
    ///   ``PostgresSchedulerError/invalidOptions(_:)``, or a database error.
    @discardableResult
    public func schedule(
        key: String? = nil, name: String = "", function: String, arguments: JSONValue = nil, trigger: any Trigger,
        options: JobOptions = JobOptions()
    ) async throws(PostgresSchedulerError) -> JobID {
        let job = JobDefinition(key: key, name: name, function: function, arguments: arguments, trigger: trigger, options: options)
        return try await schedule([job])[0]
    }

    /// Schedules many jobs in one transaction, each as
    /// ``schedule(key:name:function:arguments:trigger:options:)`` does, and returns their IDs in
    /// order once all are committed: one round trip for the new jobs (and one for the slots of
    /// one-shots due now) however many there are, and one notification.
    ///
    /// - Throws: the first invalid job's error before anything is stored, or a database error
    ///   (then none is stored).
    @discardableResult
    public func schedule(_ jobs: [JobDefinition]) async throws(PostgresSchedulerError) -> [JobID] {
        guard !jobs.isEmpty else { return [] }
        var declarations: [JobDeclaration] = []
        declarations.reserveCapacity(jobs.count)
        for job in jobs {
            declarations.append(
                try JobDeclaration(
                    key: job.key, name: job.name, function: job.function, arguments: job.arguments, trigger: job.trigger,
                    options: job.options, defaultOverlap: configuration.defaultOverlap))
        }
        let misfireThreshold = configuration.misfireThreshold.seconds
        let declared = declarations
        return try await change { connection in
            let now = try await self.databaseNow(connection)
            var rows: [JobDeclaration.Row] = []
            rows.reserveCapacity(declared.count)
            for declaration in declared {
                rows.append(try declaration.row(scheduledAt: now, misfireThreshold: misfireThreshold))
            }
            let ids = try await self.insertJobs(rows, on: connection)
            var result: [JobID] = []
            result.reserveCapacity(rows.count)
            for (index, row) in rows.enumerated() {
                if let id = ids[index] {
                    result.append(id)
                } else if let key = row.declaration.key,
                    let existing = try await self.updateDeclared(
                        key: key, row.declaration, anchored: row.anchored, firstDue: row.firstDue, on: connection)
                {
                    result.append(existing)
                } else {
                    // A node declared the same key since this transaction's snapshot: read it again.
                    throw PostgresSchedulerError.database(sqlState: "40001", message: "key declared concurrently")
                }
            }
            try await self.notify("change", result[0], on: connection)
            return result
        }
    }

    /// Inserts the jobs whose key is free (or that have none) in one statement, with IDs taken
    /// from the jobs' sequence beforehand (so each row's ID is known whatever order the rows go
    /// in), and the slots of one-shots due now in a second; returns each row's ID, `nil` where
    /// the key was taken.
    private func insertJobs(_ rows: [JobDeclaration.Row], on connection: PostgresConnection) async throws -> [JobID?] {
        let reserved = try await connection.query(
            "SELECT nextval('\(unescaped: prefix)jobs_id_seq') FROM generate_series(1, \(rows.count))", logger: queryLogger
        ).collect().map { try $0.decode(Int64.self) }
        let declarations = rows.map(\.declaration)
        let keys = declarations.map { $0.key ?? "" }, names = declarations.map(\.name)
        let functions = declarations.map(\.function), arguments = declarations.map(\.argumentsText)
        let triggers = rows.map(\.triggerText), options = declarations.map(\.optionsText)
        let untimed = declarations.map(\.untimed), overlaps = declarations.map(\.overlap)
        let lanes = declarations.map { Int64($0.lanes) }, bufferLimits = declarations.map { Int64($0.bufferLimit) }
        // -1 and NaN stand for NULL: arrays of optionals do not bind.
        let maxRuns = declarations.map { Int64($0.options.maxRuns ?? -1) }
        let timeouts = declarations.map { declaration -> Int64 in declaration.options.timeout.map { Int64($0.seconds * 1000) } ?? -1 }
        let statuses = declarations.map { $0.options.startPaused ? "paused" : "pending" }
        let firstDues = rows.map { $0.firstDue?.roundedToMicroseconds.epoch ?? .nan }
        let readyDues = rows.map { $0.slotDue?.epoch ?? .nan }
        let inserted = try await connection.query(
            """
            INSERT INTO \(unescaped: prefix)jobs
                (id, key, name, function, arguments, trigger, options, untimed, overlap, lanes, buffer_limit, max_runs,
                 timeout_ms, status, next_due, last_due, fired, paused_at)
            SELECT u.id, NULLIF(u.key, ''), u.name, u.function, u.arguments::jsonb, u.trigger::jsonb, u.options::jsonb, u.untimed,
                u.overlap, u.lanes, u.buffer_limit, NULLIF(u.max_runs, -1), NULLIF(u.timeout_ms, -1), u.status,
                CASE WHEN u.slot_due = 'NaN' AND u.first_due <> 'NaN' THEN to_timestamp(u.first_due) END,
                CASE WHEN u.slot_due <> 'NaN' THEN to_timestamp(u.slot_due) END,
                CASE WHEN u.slot_due = 'NaN' THEN 0 ELSE 1 END, CASE WHEN u.status = 'paused' THEN now() END
            FROM unnest(\(reserved)::int8[], \(keys)::text[], \(names)::text[], \(functions)::text[], \(arguments)::text[],
                \(triggers)::text[], \(options)::text[], \(untimed)::bool[], \(overlaps)::text[], \(lanes)::int8[],
                \(bufferLimits)::int8[], \(maxRuns)::int8[], \(timeouts)::int8[], \(statuses)::text[], \(firstDues)::float8[],
                \(readyDues)::float8[])
                AS u(id, key, name, function, arguments, trigger, options, untimed, overlap, lanes, buffer_limit, max_runs,
                     timeout_ms, status, first_due, slot_due)
            ON CONFLICT (key) DO NOTHING
            RETURNING id
            """, logger: queryLogger
        ).collect()
        let stored = Set(try inserted.map { try $0.decode(Int64.self) })
        var slotKeys: [String] = [], slotJobs: [Int64] = [], slotFunctions: [String] = [], slotDues: [Double] = []
        for (index, row) in rows.enumerated() where stored.contains(reserved[index]) {
            guard let due = row.slotDue else { continue }
            slotKeys.append(slotKey(job: JobID(rawValue: UInt64(reserved[index])), due: due))
            slotJobs.append(reserved[index])
            slotFunctions.append(row.declaration.function)
            slotDues.append(due.epoch)
        }
        if !slotKeys.isEmpty {
            try await connection.query(
                """
                INSERT INTO \(unescaped: prefix)slots (key, job_id, function, due, state)
                SELECT u.key, u.job_id, u.function, to_timestamp(u.due), 'pending'
                FROM unnest(\(slotKeys)::text[], \(slotJobs)::int8[], \(slotFunctions)::text[], \(slotDues)::float8[])
                    AS u(key, job_id, function, due)
                """, logger: queryLogger)
        }
        return reserved.map { stored.contains($0) ? JobID(rawValue: UInt64($0)) : nil }
    }

    /// For a key already stored: returns the job's ID, after updating it if the declaration
    /// changed; `nil` if no job has the key.
    private func updateDeclared(
        key: String, _ declaration: JobDeclaration, anchored: TriggerDescription, firstDue: Date?, on connection: PostgresConnection
    ) async throws -> JobID? {
        let rows = try await connection.query(
            """
            SELECT id, name, function, arguments::text, trigger::text, options::text
            FROM \(unescaped: prefix)jobs WHERE key = \(key) FOR UPDATE
            """, logger: queryLogger
        ).collect()
        guard let row = rows.first else { return nil }
        let (id, name, function, argumentsText, triggerText, optionsText) = try row.decode(
            (Int64, String, String, String, String, String).self)
        let jobID = JobID(rawValue: UInt64(id))
        let stored = try JSONText.trigger(triggerText)
        // An interval trigger declared without a start matches the stored one whatever its anchor.
        let sameTrigger = stored == declaration.trigger || (declaration.trigger.anchor == nil && stored.unanchored == declaration.trigger)
        let sameArguments = try JSONText.decode(argumentsText, column: "arguments") == JSONText.decode(declaration.argumentsText, column: "arguments")
        let sameOptions = try JSONText.decode(optionsText, column: "options") == declaration.options.jsonValue
        if sameTrigger, sameArguments, sameOptions, name == declaration.name, function == declaration.function { return jobID }
        try await connection.query(
            """
            UPDATE \(unescaped: prefix)jobs SET
                name = \(declaration.name), function = \(declaration.function), arguments = \(declaration.argumentsText)::jsonb,
                options = \(declaration.optionsText)::jsonb, overlap = \(declaration.overlap), lanes = \(declaration.lanes),
                buffer_limit = \(declaration.bufferLimit), max_runs = \(declaration.options.maxRuns.map(Int64.init)),
                timeout_ms = \(declaration.options.timeout.map { Int64($0.seconds * 1000) }),
                trigger = CASE WHEN \(sameTrigger) THEN trigger ELSE \(JSONText.encode(anchored.jsonValue))::jsonb END,
                untimed = \(declaration.untimed),
                next_due = CASE WHEN \(sameTrigger) THEN next_due ELSE to_timestamp(\(firstDue?.roundedToMicroseconds.epoch)) END,
                status = CASE WHEN NOT \(sameTrigger) AND status IN ('completed', 'failed') THEN 'pending' ELSE status END,
                version = version + 1, updated_at = now()
            WHERE id = \(id)
            """, logger: queryLogger)
        try await notify("change", jobID, on: connection)
        return jobID
    }

    /// Cancels a job on every node: it fires no more, its pending slots are recorded as missed,
    /// the runs going are cancelled (Swift task cancellation) on the nodes running them, and its
    /// key is freed. The job stays readable with status `cancelled`.
    ///
    /// - Returns: `true` if the job was cancelled now; `false` if it is unknown or finished.
    @discardableResult
    public func cancel(_ id: JobID) async throws(PostgresSchedulerError) -> Bool {
        try await change { connection in
            let rows = try await connection.query(
                """
                UPDATE \(unescaped: self.prefix)jobs SET status = 'cancelled', key = NULL, next_due = NULL,
                    version = version + 1, updated_at = now()
                WHERE id = \(Int64(id.rawValue)) AND status NOT IN ('completed', 'failed', 'cancelled')
                RETURNING id
                """, logger: self.queryLogger
            ).collect()
            guard !rows.isEmpty else { return false }
            try await connection.query(
                """
                UPDATE \(unescaped: self.prefix)slots SET state = 'missed', error = 'job cancelled', finished_at = now()
                WHERE job_id = \(Int64(id.rawValue)) AND state = 'pending'
                """, logger: self.queryLogger)
            try await self.notify("cancel", id, on: connection)
            return true
        }
    }

    /// Pauses a job on every node: no slot is materialised or claimed for it until it is resumed
    /// (runs going finish). Pausing a paused job does nothing.
    ///
    /// - Throws: ``PostgresSchedulerError/jobNotFound(_:)``, ``PostgresSchedulerError/jobFinished(_:)``.
    public func pause(_ id: JobID) async throws(PostgresSchedulerError) {
        try await change { connection in
            let status = try await self.lockedStatus(of: id, on: connection)
            guard status == "pending" else { return }
            try await connection.query(
                """
                UPDATE \(unescaped: self.prefix)jobs SET status = 'paused', paused_at = now(), version = version + 1, updated_at = now()
                WHERE id = \(Int64(id.rawValue))
                """, logger: self.queryLogger)
            try await self.notify("pause", id, on: connection)
        }
    }

    /// Resumes a paused job. With `catchingUp`, the due dates that passed while it was paused
    /// follow its misfire policy (as after downtime); otherwise it continues from its first due
    /// date after now. Resuming a job that is not paused does nothing.
    ///
    /// - Throws: ``PostgresSchedulerError/jobNotFound(_:)``, ``PostgresSchedulerError/jobFinished(_:)``.
    public func resume(_ id: JobID, catchingUp: Bool = true) async throws(PostgresSchedulerError) {
        try await change { connection in
            let status = try await self.lockedStatus(of: id, on: connection)
            guard status == "paused" else { return }
            var nextDue: Date?
            let rows = try await connection.query(
                """
                SELECT trigger::text, extract(epoch FROM next_due)::float8, extract(epoch FROM now())::float8
                FROM \(unescaped: self.prefix)jobs WHERE id = \(Int64(id.rawValue))
                """, logger: self.queryLogger
            ).collect()
            let (triggerText, storedNext, now) = try rows[0].decode((String, Double?, Double).self)
            nextDue = storedNext.map(Date.init(epoch:))
            if !catchingUp, let due = nextDue, due.epoch < now {
                nextDue = try JSONText.trigger(triggerText).makeTrigger().nextFireDate(after: Date(epoch: now))
            }
            try await connection.query(
                """
                UPDATE \(unescaped: self.prefix)jobs SET status = 'pending', paused_at = NULL,
                    next_due = to_timestamp(\(nextDue?.roundedToMicroseconds.epoch)), version = version + 1, updated_at = now()
                WHERE id = \(Int64(id.rawValue))
                """, logger: self.queryLogger)
            try await self.notify("resume", id, on: connection)
        }
    }

    /// Replaces a job's trigger on every node: the next due date is the new trigger's first
    /// (an ``IntervalTrigger`` without a start is anchored at the database's `now()`).
    ///
    /// - Throws: ``PostgresSchedulerError/triggerNotSupported(_:)``,
    ///   ``PostgresSchedulerError/jobNotFound(_:)``, ``PostgresSchedulerError/jobFinished(_:)``.
    public func reschedule(_ id: JobID, trigger: any Trigger) async throws(PostgresSchedulerError) {
        guard let description = TriggerDescription(trigger) else {
            throw .triggerNotSupported("\(type(of: trigger)) is a custom trigger, which has no stored form")
        }
        try JobDeclaration.checkSupported(description)
        try await change { connection in
            _ = try await self.lockedStatus(of: id, on: connection)
            let now = try await self.databaseNow(connection)
            let anchored = description.anchored(at: now)
            let firstDue = TriggerDescription.firstDueDate(of: try anchored.makeTrigger(), scheduledAt: now)
            let untimed: Bool
            if case .manual = description { untimed = true } else { untimed = false }
            try await connection.query(
                """
                UPDATE \(unescaped: self.prefix)jobs SET trigger = \(JSONText.encode(anchored.jsonValue))::jsonb, untimed = \(untimed),
                    next_due = to_timestamp(\(firstDue?.roundedToMicroseconds.epoch)), version = version + 1, updated_at = now()
                WHERE id = \(Int64(id.rawValue))
                """, logger: self.queryLogger)
            try await self.notify("change", id, on: connection)
        }
    }

    /// Adds a slot due now (the database's `now()`) that any node with the function claims,
    /// besides the trigger's, and returns without waiting for the run. It counts towards
    /// `maxRuns`, and runs also while the job is paused.
    ///
    /// - Throws: ``PostgresSchedulerError/jobNotFound(_:)``, ``PostgresSchedulerError/jobFinished(_:)``
    ///   (also when the job reached its `maxRuns`).
    public func runNow(_ id: JobID) async throws(PostgresSchedulerError) {
        try await change { connection in
            _ = try await self.lockedStatus(of: id, on: connection)
            let rows = try await connection.query(
                """
                SELECT function, extract(epoch FROM now())::float8, max_runs IS NOT NULL AND fired >= max_runs
                FROM \(unescaped: self.prefix)jobs WHERE id = \(Int64(id.rawValue))
                """, logger: self.queryLogger
            ).collect()
            let (function, now, exhausted) = try rows[0].decode((String, Double, Bool).self)
            if exhausted { throw PostgresSchedulerError.jobFinished(id) }
            // Keys name due dates to the millisecond: a second request within one takes the next.
            var due = Date(epoch: (now * 1000).rounded(.down) / 1000)
            while try await connection.query(
                """
                INSERT INTO \(unescaped: self.prefix)slots (key, job_id, function, due, manual, state)
                VALUES (\(slotKey(job: id, due: due)), \(Int64(id.rawValue)), \(function), to_timestamp(\(due.epoch)), true, 'pending')
                ON CONFLICT (key) DO NOTHING RETURNING key
                """, logger: self.queryLogger
            ).collect().isEmpty {
                due = Date(epoch: due.epoch + 0.001)
            }
            try await connection.query(
                "UPDATE \(unescaped: self.prefix)jobs SET fired = fired + 1 WHERE id = \(Int64(id.rawValue))", logger: self.queryLogger)
            try await self.notify("run", id, on: connection)
        }
    }

    // MARK: - Helpers

    /// The job's status, its row locked for the transaction.
    ///
    /// - Throws: ``PostgresSchedulerError/jobNotFound(_:)``, or
    ///   ``PostgresSchedulerError/jobFinished(_:)`` for a finished job.
    private func lockedStatus(of id: JobID, on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query(
            "SELECT status FROM \(unescaped: prefix)jobs WHERE id = \(Int64(id.rawValue)) FOR UPDATE", logger: queryLogger
        ).collect()
        guard let status = try rows.first?.decode(String.self) else { throw PostgresSchedulerError.jobNotFound(id) }
        if status == "completed" || status == "failed" || status == "cancelled" { throw PostgresSchedulerError.jobFinished(id) }
        return status
    }

    /// The database's `now()`: the start of the transaction.
    func databaseNow(_ connection: PostgresConnection) async throws -> Date {
        let rows = try await connection.query("SELECT extract(epoch FROM now())::float8", logger: queryLogger).collect()
        return Date(epoch: try rows[0].decode(Double.self))
    }

    /// Runs a change in a transaction and maps its errors.
    private func change<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(PostgresSchedulerError) -> Result {
        do {
            return try await transaction(body)
        } catch {
            throw PostgresSchedulerError(error, configuration: configuration)
        }
    }
}

extension TriggerDescription {
    /// The start an interval trigger was anchored at, if it is one.
    var anchor: Date? {
        switch self {
        case .interval(_, let start, _, _): start
        case .jittered(let base, _): base.anchor
        default: nil
        }
    }

    /// The description with an interval trigger's start removed.
    var unanchored: TriggerDescription {
        switch self {
        case let .interval(seconds, _, end, repeatCount): .interval(seconds: seconds, start: nil, end: end, repeatCount: repeatCount)
        case let .jittered(base, maxJitter): .jittered(base.unanchored, maxJitter: maxJitter)
        default: self
        }
    }
}
