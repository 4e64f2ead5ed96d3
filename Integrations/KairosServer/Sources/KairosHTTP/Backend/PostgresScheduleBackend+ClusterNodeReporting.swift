import Foundation
import Kairos
import KairosPostgres

extension PostgresScheduleBackend: ClusterNodeReporting {
    /// The cluster's nodes from its `nodes` table, alive or not, each with the runs it holds
    /// (the slots running under its ID); a node that holds runs but has left the table (its row
    /// pruned) is listed as not alive.
    public func clusterNodes() async throws -> [ClusterNode] {
        let nodes = try await node.nodes()
        let running = try await node.runningRuns()
        var schedules: [JobID: String] = [:]
        if !running.isEmpty {
            for (key, id) in try await keyedJobs() { schedules[id] = key }
        }
        var runsByNode: [String: [RunRecord]] = [:]
        for run in running {
            guard let owner = run.node, let schedule = schedules[run.jobID], let record = Self.record(run, schedule: schedule) else {
                continue
            }
            runsByNode[owner, default: []].append(record)
        }
        var found = nodes.map { node in
            ClusterNode(id: node.id, lastSeen: node.heartbeatAt, isAlive: node.isAlive, runs: runsByNode.removeValue(forKey: node.id) ?? [])
        }
        for (owner, runs) in runsByNode.sorted(by: { $0.key < $1.key }) {
            found.append(ClusterNode(id: owner, lastSeen: nil, isAlive: false, runs: runs))
        }
        return found
    }
}
