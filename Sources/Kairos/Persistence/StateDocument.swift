import Foundation

/// The whole durable state: every job and pipeline run, and the sequence number of the last
/// change applied. It is the content of the snapshot file; the journal holds the changes made
/// since.
package struct StateDocument: Sendable, Hashable {
    /// The format name written in every snapshot.
    package static let formatName = "kairos-state"
    /// The newest snapshot format version this build reads and the one it writes.
    package static let formatVersion = 1

    /// The sequence number of the last change applied (0 for a new state).
    package var sequence: UInt64 = 0
    /// The number the next scheduled job gets; never reused, even after a job is removed.
    package var nextJobID: UInt64 = 1
    /// Jobs by identity.
    package var jobs: [JobID: PersistedJob] = [:]
    /// Pipeline runs by identity.
    package var pipelineRuns: [String: PersistedPipelineRun] = [:]

    package init() {}

    /// Applies one change.
    ///
    /// - Throws: ``PersistenceError/invalidChange(reason:)`` when the change removes something
    ///   the state does not hold; the document is then unchanged.
    package mutating func apply(_ change: StateChange) throws(PersistenceError) {
        switch change {
        case .putJob(let job):
            jobs[job.id] = job
            nextJobID = max(nextJobID, job.id.rawValue &+ 1)
        case .removeJob(let id):
            guard jobs.removeValue(forKey: id) != nil else {
                throw .invalidChange(reason: "no job \(id) to remove")
            }
        case .putPipelineRun(let run):
            pipelineRuns[run.id] = run
        case .removePipelineRun(let id):
            guard pipelineRuns.removeValue(forKey: id) != nil else {
                throw .invalidChange(reason: "no pipeline run \(id) to remove")
            }
        case .reserveJobIDs(let next):
            nextJobID = max(nextJobID, next)
        }
    }

    /// Applies changes all-or-nothing.
    ///
    /// - Complexity: O(number of changes); the document is checked first, never copied.
    package mutating func apply(_ changes: [StateChange]) throws(PersistenceError) {
        if changes.count > 1 {
            var added = Set<JobID>(), removed = Set<JobID>()
            var addedRuns = Set<String>(), removedRuns = Set<String>()
            for change in changes {
                switch change {
                case .putJob(let job):
                    added.insert(job.id)
                    removed.remove(job.id)
                case .removeJob(let id):
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
                case .reserveJobIDs:
                    break
                }
            }
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
}

extension StateChange: Codable {
    private enum CodingKeys: String, CodingKey { case op, job, id, run, next }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let operation = try container.decode(String.self, forKey: .op)
        switch operation {
        case "putJob": self = .putJob(try container.decode(PersistedJob.self, forKey: .job))
        case "removeJob": self = .removeJob(try container.decode(JobID.self, forKey: .id))
        case "putPipelineRun": self = .putPipelineRun(try container.decode(PersistedPipelineRun.self, forKey: .run))
        case "removePipelineRun": self = .removePipelineRun(try container.decode(String.self, forKey: .id))
        case "reserveJobIDs": self = .reserveJobIDs(try container.decode(UInt64.self, forKey: .next))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .op, in: container, debugDescription: "unknown change \"\(operation)\"")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .putJob(let job):
            try container.encode("putJob", forKey: .op)
            try container.encode(job, forKey: .job)
        case .removeJob(let id):
            try container.encode("removeJob", forKey: .op)
            try container.encode(id, forKey: .id)
        case .putPipelineRun(let run):
            try container.encode("putPipelineRun", forKey: .op)
            try container.encode(run, forKey: .run)
        case .removePipelineRun(let id):
            try container.encode("removePipelineRun", forKey: .op)
            try container.encode(id, forKey: .id)
        case .reserveJobIDs(let next):
            try container.encode("reserveJobIDs", forKey: .op)
            try container.encode(next, forKey: .next)
        }
    }
}
