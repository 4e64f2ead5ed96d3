/// When a dependent job runs, given how its upstream runs ended — Airflow's trigger rules.
///
/// "Failed" counts upstream runs that failed, timed out or were cancelled, and upstream runs
/// marked ``DependencyRunState/upstreamFailed``. A rule is decided as soon as the outcome is
/// certain, possibly before every upstream has finished (`oneSuccess` runs on the first success;
/// `allSuccess` is marked upstream-failed on the first failure).
///
/// | rule | runs when | otherwise |
/// |---|---|---|
/// | `allSuccess` | every upstream succeeded | upstream-failed on any failure, else skipped on any skip |
/// | `allFailed` | every upstream failed | skipped on any success or skip |
/// | `allDone` | every upstream finished, however | — |
/// | `oneSuccess` | at least one upstream succeeded | when all are done: upstream-failed if any failed, else skipped |
/// | `oneFailed` | at least one upstream failed | skipped when all are done without a failure |
/// | `noneFailed` | all done and none failed (successes or skips) | upstream-failed on any failure |
/// | `noneFailedMinOneSuccess` | all done, none failed, at least one succeeded | upstream-failed on any failure, else skipped |
/// | `always` | every upstream finished, however | — |
public enum TriggerRule: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every upstream run succeeded (the default).
    case allSuccess
    /// Every upstream run ended, whatever the outcome.
    case allDone
    /// At least one upstream run succeeded; runs without waiting for the others.
    case oneSuccess
    /// At least one upstream run failed; runs without waiting for the others.
    case oneFailed
    /// Every upstream run failed.
    case allFailed
    /// No upstream run failed (successes and skips only).
    case noneFailed
    /// No upstream run failed and at least one succeeded.
    case noneFailedMinOneSuccess
    /// Runs once every upstream run ended, whatever the outcome (as `allDone`; Airflow keeps both).
    case always

    /// What the rule decides for the given upstream tallies.
    enum Decision: Equatable {
        case wait
        case run
        case upstreamFailed
        case skipped
    }

    func decide(succeeded: Int, failed: Int, skipped: Int, pending: Int) -> Decision {
        let done = pending == 0
        switch self {
        case .allSuccess:
            if failed > 0 { return .upstreamFailed }
            if skipped > 0 { return .skipped }
            return done ? .run : .wait
        case .allFailed:
            if succeeded > 0 || skipped > 0 { return .skipped }
            return done ? .run : .wait
        case .allDone, .always:
            return done ? .run : .wait
        case .oneSuccess:
            if succeeded > 0 { return .run }
            guard done else { return .wait }
            return failed > 0 ? .upstreamFailed : .skipped
        case .oneFailed:
            if failed > 0 { return .run }
            return done ? .skipped : .wait
        case .noneFailed:
            if failed > 0 { return .upstreamFailed }
            return done ? .run : .wait
        case .noneFailedMinOneSuccess:
            if failed > 0 { return .upstreamFailed }
            guard done else { return .wait }
            return succeeded > 0 ? .run : .skipped
        }
    }
}
