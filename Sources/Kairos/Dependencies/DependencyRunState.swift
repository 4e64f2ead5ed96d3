/// Where one job's run in one DAG run is.
public enum DependencyRunState: String, Sendable, Hashable, Codable {
    /// Waiting for its upstream runs, its trigger (a root), or its previous run (`dependsOnPast`).
    case waiting
    /// Running, waiting to retry after a failed attempt, or ready while the scheduler is stopped.
    case running
    /// The body returned.
    case succeeded
    /// The last attempt threw, timed out or was cancelled.
    case failed
    /// Not run: its trigger rule can no longer be met because upstream runs failed.
    case upstreamFailed
    /// Not run: its trigger rule can no longer be met because upstream runs were skipped or
    /// succeeded (e.g. `allFailed`); a `dependsOnPast` job whose previous run did not succeed; a
    /// root that did not fire for the DAG run's due date.
    case skipped

    /// Whether the run has ended.
    public var isFinished: Bool {
        switch self {
        case .waiting, .running: false
        case .succeeded, .failed, .upstreamFailed, .skipped: true
        }
    }
}
