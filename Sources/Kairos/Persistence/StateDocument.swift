import Foundation

/// The whole durable state: every job and pipeline run, and the sequence number of the last
/// change applied. It is the content of the snapshot file; the journal holds the changes made
/// since.
package struct StateDocument: Sendable, Hashable {
    /// The format name written in every snapshot.
    package static let formatName = "kairos-state"
    /// The newest snapshot format version this build reads and the one it writes.
    package static let formatVersion = 3

    /// The sequence number of the last change applied (0 for a new state).
    package var sequence: UInt64 = 0
    /// The number the next scheduled job gets; never reused, even after a job is removed.
    package var nextJobID: UInt64 = 1
    /// Jobs by identity.
    package var jobs: [JobID: PersistedJob] = [:]
    /// Pipeline runs by identity.
    package var pipelineRuns: [String: PersistedPipelineRun] = [:]
    /// The dependency graph and its DAG runs in progress.
    package var dag = PersistedDAG()
    /// The job holding each key (``PersistedJob/key`` and ``PersistedDAGJob/key``: one namespace
    /// for jobs and DAG jobs); kept by ``apply(_:)-(StateChange)``.
    package private(set) var jobKeys: [String: JobID] = [:]

    /// The format version this document is written in: 3 once a job or DAG job has a key, else 2 once it
    /// holds dependency data, else 1 — each time the oldest version whose readers keep all of it
    /// (an older reader skips members it does not know and would drop them when it compacts).
    package var writtenVersion: Int { !jobKeys.isEmpty ? 3 : dag.isEmpty ? 1 : 2 }

    package init() {}

    /// Rebuilds ``jobKeys`` from ``jobs`` and the DAG jobs (after reading a snapshot).
    ///
    /// - Returns: a key held by two jobs, if any, with their IDs.
    mutating func indexKeys() -> (key: String, jobs: (JobID, JobID))? {
        jobKeys = [:]
        let keyed =
            jobs.values.compactMap { job in job.key.map { ($0, job.id) } }
            + dag.jobs.values.compactMap { job in job.key.map { ($0, job.id) } }
        for (key, id) in keyed {
            if let owner = jobKeys.updateValue(id, forKey: key) {
                return (key, (min(owner, id), max(owner, id)))
            }
        }
        return nil
    }

    /// Checks that `key` is free or held by `id` already.
    private func checkKey(_ key: String?, of id: JobID) throws(PersistenceError) {
        if let key, let owner = jobKeys[key], owner != id {
            throw .invalidChange(reason: "job \(id) has the key \"\(key)\" of job \(owner)")
        }
    }

    /// Moves the index from the key a job had to the one it has now.
    private mutating func reindex(_ id: JobID, from previousKey: String?, to key: String?) {
        guard previousKey != key else { return }
        if let previousKey { jobKeys[previousKey] = nil }
        if let key { jobKeys[key] = id }
    }

    /// Applies one change.
    ///
    /// - Throws: ``PersistenceError/invalidChange(reason:)`` when the change removes something
    ///   the state does not hold; the document is then unchanged.
    package mutating func apply(_ change: StateChange) throws(PersistenceError) {
        switch change {
        case .putJob(let job):
            try checkKey(job.key, of: job.id)
            reindex(job.id, from: jobs.updateValue(job, forKey: job.id)?.key, to: job.key)
            nextJobID = max(nextJobID, job.id.rawValue &+ 1)
        case .removeJob(let id):
            guard let removed = jobs.removeValue(forKey: id) else {
                throw .invalidChange(reason: "no job \(id) to remove")
            }
            if let key = removed.key { jobKeys[key] = nil }
        case .putPipelineRun(let run):
            pipelineRuns[run.id] = run
        case .removePipelineRun(let id):
            guard pipelineRuns.removeValue(forKey: id) != nil else {
                throw .invalidChange(reason: "no pipeline run \(id) to remove")
            }
        case .reserveJobIDs(let next):
            nextJobID = max(nextJobID, next)
        case .dag(let change):
            var previousKey: String??
            switch change {
            case .putJob(let job):
                if jobs[job.id] != nil { throw .invalidChange(reason: "DAG job \(job.id) has the ID of a job") }
                try checkKey(job.key, of: job.id)
                previousKey = .some(dag.jobs[job.id]?.key)
            case .removeJob(let id):
                previousKey = .some(dag.jobs[id]?.key)
            default:
                break
            }
            try dag.apply(change)
            switch change {
            case .putJob(let job):
                reindex(job.id, from: previousKey!, to: job.key)
                nextJobID = max(nextJobID, job.id.rawValue &+ 1)
            case .removeJob(let id):
                reindex(id, from: previousKey!, to: nil)
            default:
                break
            }
        }
    }

    /// Applies changes all-or-nothing.
    ///
    /// - Complexity: O(number of changes); the document is checked first, never copied.
    package mutating func apply(_ changes: [StateChange]) throws(PersistenceError) {
        if changes.count > 1 {
            var added = Set<JobID>(), removed = Set<JobID>()
            var keys: [String: JobID] = [:]
            var removedDAGJobs = Set<JobID>()
            var addedRuns = Set<String>(), removedRuns = Set<String>()
            // Jobs and DAG jobs share one key namespace; a key freed earlier in the batch is free.
            func claim(_ key: String?, for id: JobID) throws(PersistenceError) {
                guard let key else { return }
                let owner = keys[key] ?? jobKeys[key].flatMap { removed.contains($0) || removedDAGJobs.contains($0) ? nil : $0 }
                if let owner, owner != id { throw .invalidChange(reason: "job \(id) has the key \"\(key)\" of job \(owner)") }
                keys[key] = id
            }
            for change in changes {
                switch change {
                case .putJob(let job):
                    added.insert(job.id)
                    removed.remove(job.id)
                    try claim(job.key, for: job.id)
                case .removeJob(let id):
                    keys = keys.filter { $0.value != id }
                    guard !removed.contains(id), added.contains(id) || jobs[id] != nil else {
                        throw .invalidChange(reason: "no job \(id) to remove")
                    }
                    removed.insert(id)
                    added.remove(id)
                case .putPipelineRun(let run):
                    addedRuns.insert(run.id)
                    removedRuns.remove(run.id)
                case .removePipelineRun(let id):
                    guard !removedRuns.contains(id), addedRuns.contains(id) || pipelineRuns[id] != nil else {
                        throw .invalidChange(reason: "no pipeline run \(id) to remove")
                    }
                    removedRuns.insert(id)
                    addedRuns.remove(id)
                case .dag(.putJob(let job)):
                    try claim(job.key, for: job.id)
                case .dag(.removeJob(let id)):
                    removedDAGJobs.insert(id)
                    keys = keys.filter { $0.value != id }
                case .reserveJobIDs, .dag:
                    break
                }
            }
        }
        if changes.contains(where: \.isDAG) {
            // DAG changes are checked on a copy of the (small) graph first.
            var copy = dag
            for case .dag(let change) in changes { try copy.apply(change) }
        }
        for change in changes { try apply(change) }
    }
}

/// One change to the durable state; a journal record holds one or more, applied together.
package enum StateChange: Sendable, Hashable {
    /// Adds or replaces a job.
    case putJob(PersistedJob)
    /// Removes a job.
    case removeJob(JobID)
    /// Adds or replaces a pipeline run.
    case putPipelineRun(PersistedPipelineRun)
    /// Removes a pipeline run.
    case removePipelineRun(String)
    /// Raises the next job number to at least the given value.
    case reserveJobIDs(UInt64)
    /// Changes the dependency graph or its DAG runs.
    case dag(DAGStateChange)

    var isDAG: Bool {
        if case .dag = self { return true }
        return false
    }
}

extension StateChange {

    /// Reads a change written by `encode(to:)`.
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var operation: String?, job: PersistedJob?, id: JSONValue?, run: PersistedPipelineRun?, next: UInt64?
        var others: [String: JSONValue] = [:]
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "op": operation = try reader.readString()
            case "job": job = try PersistedJob(reading: &reader)
            case "id": id = try reader.readValue()
            case "run": run = try PersistedPipelineRun(reading: &reader)
            case "next": next = try reader.readUInt64()
            default: others[key] = try reader.readValue()
            }
        }
        if let operation, DAGStateChange.operations.contains(operation) {
            others["id"] = id
            do {
                self = .dag(try DAGStateChange(operation: operation, members: others))
            } catch {
                throw reader.error(error.description)
            }
            return
        }
        switch (operation, job, id, run, next) {
        case ("putJob", let job?, _, _, _): self = .putJob(job)
        case ("removeJob", _, .number(let number)?, _, _) where number >= 0 && number == number.rounded():
            self = .removeJob(JobID(rawValue: UInt64(number)))
        case ("putPipelineRun", _, _, let run?, _): self = .putPipelineRun(run)
        case ("removePipelineRun", _, .string(let id)?, _, _): self = .removePipelineRun(id)
        case ("reserveJobIDs", _, _, _, let next?): self = .reserveJobIDs(next)
        case ("putJob"?, _, _, _, _), ("removeJob"?, _, _, _, _), ("putPipelineRun"?, _, _, _, _),
            ("removePipelineRun"?, _, _, _, _), ("reserveJobIDs"?, _, _, _, _):
            throw reader.error("change \"\(operation!)\" is missing its operand")
        case (let operation?, _, _, _, _): throw reader.error("unknown change \"\(operation)\"")
        case (nil, _, _, _, _): throw reader.error("a change is missing \"op\"")
        }
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            switch self {
            case .putJob(let job):
                writer.member("op", "putJob")
                writer.key("job")
                job.write(to: &writer)
            case .removeJob(let id):
                writer.member("op", "removeJob")
                writer.member("id", id.rawValue)
            case .putPipelineRun(let run):
                writer.member("op", "putPipelineRun")
                writer.key("run")
                run.write(to: &writer)
            case .removePipelineRun(let id):
                writer.member("op", "removePipelineRun")
                writer.member("id", id)
            case .reserveJobIDs(let next):
                writer.member("op", "reserveJobIDs")
                writer.member("next", next)
            case .dag(let change):
                change.write(to: &writer)
            }
        }
    }
}
