import Foundation

/// A backend shared by several servers that can tell which nodes it has and the runs each holds:
/// what the dashboard's nodes page shows. The embedded state file does not conform (one process).
public protocol ClusterNodeReporting: ScheduleBackend {
    /// The nodes the store knows, with the runs each holds now.
    func clusterNodes() async throws -> [ClusterNode]
}

/// One server of a cluster, as the store sees it.
public struct ClusterNode: Sendable, Hashable {
    /// The node's ID in the store.
    public var id: String
    /// When it last proved it was alive (a heartbeat or lease renewal), if known.
    public var lastSeen: Date?
    /// Whether the store still counts it as alive.
    public var isAlive: Bool
    /// The runs it holds now (started, not ended).
    public var runs: [RunRecord]

    /// Creates a node; see each property.
    public init(id: String, lastSeen: Date?, isAlive: Bool, runs: [RunRecord]) {
        self.id = id
        self.lastSeen = lastSeen
        self.isAlive = isAlive
        self.runs = runs
    }
}
