import Foundation

/// One change to a ``DependencyScheduler``'s graph or DAG runs, as reported, in order, to the
/// recorder a `PersistentScheduler` installs to journal them (SPEC §7.8).
enum DependencyChange: Sendable {
    /// A job was added (its upstream jobs were given with it).
    case jobAdded(JobID)
    /// The edge `job → depends on upstream` was added.
    case edgeAdded(JobID, upstream: JobID)
    /// The edge `job → depends on upstream` was removed.
    case edgeRemoved(JobID, upstream: JobID)
    /// A job was removed from the graph and from every DAG run in progress.
    case jobRemoved(JobID)
    /// A root's trigger fired for `dueDate`.
    case rootFired(JobID, dueDate: Date)
    /// A job's run in the DAG run for `dueDate` reached `phase`, with `attempts` attempts made or
    /// under way.
    case run(dueDate: Date, job: JobID, phase: DependencyGraph.Phase, attempts: Int)
    /// Every job of the DAG run for `dueDate` has finished.
    case dagRunFinished(dueDate: Date)
}
