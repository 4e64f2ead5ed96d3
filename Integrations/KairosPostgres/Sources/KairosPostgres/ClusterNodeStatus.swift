import Foundation

/// One node of the cluster as the `nodes` table records it: what a front end shows on its nodes
/// page.
public struct ClusterNodeStatus: Sendable, Hashable {
    /// The node's ID (``PostgresScheduler/Configuration/nodeID``).
    public var id: String
    /// When the node started, by the database's clock.
    public var startedAt: Date
    /// Its last heartbeat, by the database's clock.
    public var heartbeatAt: Date
    /// Whether its last heartbeat is within a lease of the database's clock now. A node that
    /// is not alive holds no lease that another node will not rescue.
    public var isAlive: Bool
    /// The functions it registered (the slots it can claim).
    public var functions: [String]

    /// Creates a node's status; see each property.
    public init(id: String, startedAt: Date, heartbeatAt: Date, isAlive: Bool, functions: [String]) {
        self.id = id
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.isAlive = isAlive
        self.functions = functions
    }
}
