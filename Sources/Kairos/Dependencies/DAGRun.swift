import Foundation

/// One run of the dependency graph: every job's run for one due date.
///
/// A DAG run starts when a root job fires for a due date and includes the roots whose triggers
/// fire at that date and every job downstream of them (see SPEC §5).
public struct DAGRun: Sendable, Hashable {
    /// The due date the DAG run is for (the roots' due date).
    public let dueDate: Date
    /// The state of each job taking part.
    public let states: [JobID: DependencyRunState]
    /// Whether every job taking part has finished.
    public var isFinished: Bool { states.values.allSatisfy(\.isFinished) }

    /// The jobs in `state`, in ID order.
    public func jobs(in state: DependencyRunState) -> [JobID] {
        states.filter { $0.value == state }.map(\.key).sorted()
    }
}

/// One finished run of one job, as listed by ``DependencyScheduler/runs(of:)``.
public struct DependencyRun: Sendable, Hashable {
    /// The DAG run's due date.
    public let dueDate: Date
    /// How it ended.
    public let state: DependencyRunState
    /// How many attempts were made (0 when it did not run).
    public let attempts: Int
}
