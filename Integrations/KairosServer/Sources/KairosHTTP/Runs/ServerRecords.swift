import Foundation
import Kairos
import Synchronization

/// What the server keeps beside the scheduler's own state: each schedule's recent runs, the
/// runs going and pause notes (the `Idempotency-Key` digests are ``IdempotencyJournal``'s).
///
/// Kept in memory and, when a file is given, written to it (whole, by a rename) after every
/// change, so that run history survives a restart. The schedules themselves are the backend's:
/// losing this file loses history and notes, never a schedule.
final class ServerRecords: Sendable {
    private struct Document: Codable {
        var history: [String: [RunRecord]] = [:]
        var notes: [String: String] = [:]
        /// Written empty: older servers kept the `Idempotency-Key` digests here.
        var idempotency: [String: String] = [:]
    }

    private struct RunKey: Hashable {
        var job: JobID
        var dueDate: Date
    }

    private struct State {
        var document = Document()
        var active: [RunKey: RunRecord] = [:]
        var reports: [RunKey: ActionReport] = [:]
        /// The schedule of each job the API knows, for the events (which name jobs).
        var schedules: [JobID: String] = [:]
        var changes = 0
    }

    /// The most runs kept per schedule.
    let historyLimit: Int
    private let file: String?
    private let state = Mutex(State())
    /// Serializes the writes of the file, outside the state's lock.
    private let writer = Mutex(0)

    /// Opens the records, reading `file` if it exists. A file that cannot be read is set aside
    /// (renamed with `.unreadable`) rather than lost, and the records start empty.
    init(file: String?, historyLimit: Int) {
        self.file = file
        self.historyLimit = historyLimit
        guard let file, let data = FileManager.default.contents(atPath: file) else { return }
        if let document = try? JSONDecoder.records.decode(Document.self, from: data) {
            state.withLock { $0.document = document }
        } else {
            try? FileManager.default.moveItem(atPath: file, toPath: file + ".unreadable")
        }
    }

    // MARK: Schedules and their jobs

    func setSchedule(_ schedule: String, for job: JobID) {
        state.withLock { $0.schedules[job] = schedule }
    }

    func setSchedules(_ keys: [String: JobID]) {
        state.withLock { state in
            for (key, id) in keys { state.schedules[id] = key }
        }
    }

    func schedule(of job: JobID) -> String? { state.withLock { $0.schedules[job] } }

    /// Forgets a deleted schedule's history and note.
    func removeSchedule(_ schedule: String) {
        state.withLock { state in
            state.document.history[schedule] = nil
            state.document.notes[schedule] = nil
            state.schedules = state.schedules.filter { $0.value != schedule }
        }
        save()
    }

    // MARK: Notes and idempotency

    func note(of schedule: String) -> String? { state.withLock { $0.document.notes[schedule] } }

    func setNote(_ note: String?, of schedule: String) {
        state.withLock { $0.document.notes[schedule] = note }
        save()
    }

    /// The `Idempotency-Key` digests of a file written before they moved to their own journal
    /// (``IdempotencyJournal``).
    var legacyDigests: [String: String] { state.withLock { $0.document.idempotency } }

    /// Drops ``legacyDigests`` from the file, once the journal holds them durably.
    func forgetLegacyDigests() {
        let had = state.withLock { state in
            defer { state.document.idempotency = [:] }
            return !state.document.idempotency.isEmpty
        }
        if had { save() }
    }

    // MARK: Runs

    /// Handles a scheduler event: a run's start or end.
    func record(_ event: ScheduleEvent) {
        guard let dueDate = event.dueDate else { return }
        let key = RunKey(job: event.jobID, dueDate: dueDate)
        let outcome: RunRecord.Outcome
        switch event.kind {
        case .started:
            state.withLock { state in
                // A job may start before the API has learnt its schedule (due at once when
                // declared): the schedule is looked up again when the run ends.
                let schedule = state.schedules[event.jobID] ?? ""
                var record = RunRecord(schedule: schedule, jobID: event.jobID.rawValue, dueDate: dueDate, startedAt: event.date, outcome: .running)
                if let report = state.reports[key] { record.merge(report) }
                state.active[key] = record
            }
            return
        case .succeeded: outcome = .succeeded
        case .failed: outcome = .failed
        case .timedOut: outcome = .timedOut
        case .runCancelled: outcome = .cancelled
        default: return
        }
        let recorded = state.withLock { state -> Bool in
            guard var record = state.active.removeValue(forKey: key) else {
                state.reports[key] = nil
                return false
            }
            if let report = state.reports.removeValue(forKey: key) { record.merge(report) }
            guard let schedule = state.schedules[event.jobID] else { return false }
            record.schedule = schedule
            record.endedAt = event.date
            record.outcome = outcome
            if let error = event.error { record.error = error }
            var runs = state.document.history[record.schedule, default: []]
            runs.append(record)
            if runs.count > historyLimit { runs.removeFirst(runs.count - historyLimit) }
            state.document.history[record.schedule] = runs
            return true
        }
        if recorded { save() }
    }

    /// Merges what an action says about its run (called before the action returns).
    func report(_ report: ActionReport, job: JobID, dueDate: Date) {
        let key = RunKey(job: job, dueDate: dueDate)
        state.withLock { state in
            state.reports[key] = report
            state.active[key]?.merge(report)
        }
    }

    /// A schedule's finished runs, newest first.
    func history(of schedule: String) -> [RunRecord] {
        state.withLock { Array(($0.document.history[schedule] ?? []).reversed()) }
    }

    /// `runs` from a store's history with what this server's actions reported about those of
    /// them that ran here (exit or HTTP status, output tail).
    func addingActionReports(to runs: [RunRecord]) -> [RunRecord] {
        state.withLock { state in
            var seen: [RunKey: RunRecord] = [:]
            for run in state.active.values { seen[RunKey(job: JobID(rawValue: run.jobID), dueDate: run.dueDate)] = run }
            for (_, history) in state.document.history {
                for run in history { seen[RunKey(job: JobID(rawValue: run.jobID), dueDate: run.dueDate)] = run }
            }
            return runs.map { run in
                guard let local = seen[RunKey(job: JobID(rawValue: run.jobID), dueDate: run.dueDate)] else { return run }
                var run = run
                run.exitStatus = local.exitStatus
                run.httpStatus = local.httpStatus
                run.outputTail = local.outputTail
                return run
            }
        }
    }

    /// The runs going, oldest start first; of one schedule if given.
    func activeRuns(of schedule: String? = nil) -> [RunRecord] {
        state.withLock { state in
            state.active.values.compactMap { run -> RunRecord? in
                guard let known = state.schedules[JobID(rawValue: run.jobID)] else { return nil }
                var run = run
                run.schedule = known
                return run
            }
            .filter { schedule == nil || $0.schedule == schedule }
            .sorted { ($0.startedAt ?? $0.dueDate, $0.jobID) < ($1.startedAt ?? $1.dueDate, $1.jobID) }
        }
    }

    // MARK: The file

    /// Writes the records to the file: a temporary file, fsynced, renamed over the old one.
    private func save() {
        guard let file else { return }
        writer.withLock { _ in
            let document = state.withLock { $0.document }
            guard let data = try? JSONEncoder.records.encode(document) else { return }
            let temporary = file + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
            if let handle = FileHandle(forWritingAtPath: temporary) {
                try? handle.synchronize()
                try? handle.close()
            }
            _ = rename(temporary, file)
        }
    }
}

extension RunRecord {
    mutating func merge(_ report: ActionReport) {
        attempt = report.attempt
        exitStatus = report.exitStatus ?? exitStatus
        httpStatus = report.httpStatus ?? httpStatus
        outputTail = report.outputTail ?? outputTail
    }
}

extension JSONEncoder {
    static var records: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.format(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    static var records: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        return decoder
    }
}
