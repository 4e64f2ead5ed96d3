/// When a dependent job runs, given how its upstream runs ended — Airflow's trigger rules.
///
/// An upstream run ends *succeeded*, *failed* (its last attempt failed, timed out or was
/// cancelled), *upstream-failed* (marked ``DependencyRunState/upstreamFailed``: it did not run) or
/// *skipped*. A rule is decided as soon as its outcome is certain, possibly before every upstream
/// run has ended (`oneSuccess` runs on the first success; `allSuccess` is marked upstream-failed
/// on the first failure), so where two upstream runs would decide differently the first to end
/// decides (SPEC §5 lists the cases). "Failed" below counts failed and upstream-failed runs,
/// except for `oneDone`, which, as in Airflow, counts only runs that ran.
///
/// | rule | runs when | otherwise |
/// |---|---|---|
/// | `allSuccess` | every upstream succeeded | upstream-failed on a failure, skipped on a skip |
/// | `allFailed` | every upstream failed | skipped on a success or skip |
/// | `allDone` | every upstream ended, however | — |
/// | `allSkipped` | every upstream was skipped | skipped on a success or failure |
/// | `oneSuccess` | one upstream succeeded | when all ended: upstream-failed if any failed, else skipped |
/// | `oneFailed` | one upstream failed | skipped when all ended without a failure |
/// | `oneDone` | one upstream succeeded or failed (ran) | skipped when all ended without either |
/// | `noneFailed` | all ended, none failed | upstream-failed on a failure |
/// | `noneFailedMinOneSuccess` | all ended, none failed, one succeeded | upstream-failed on a failure; skipped if none succeeded |
/// | `noneSkipped` | all ended, none skipped | skipped on a skip |
/// | `always` | at once, when the DAG run starts: it does not wait for upstream runs | — |
///
/// Airflow's `all_done_setup_success` has no counterpart: Kairos has no setup or teardown jobs.
public enum TriggerRule: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every upstream run succeeded (the default).
    case allSuccess
    /// Every upstream run ended, whatever the outcome.
    case allDone
    /// At least one upstream run succeeded; runs without waiting for the others.
    case oneSuccess
    /// At least one upstream run failed (or was marked upstream-failed); runs without waiting for
    /// the others.
    case oneFailed
    /// Every upstream run failed (or was marked upstream-failed).
    case allFailed
    /// No upstream run failed (successes and skips only).
    case noneFailed
    /// No upstream run failed and at least one succeeded.
    case noneFailedMinOneSuccess
    /// Runs as soon as its DAG run starts, without waiting for its upstream runs (as Airflow's
    /// `always`). Its upstream jobs still decide which DAG runs it takes part in, and its own
    /// dependents wait for it. Until issue 15 it waited like ``allDone``: use that for the old
    /// meaning.
    case always
    /// Every upstream run was skipped.
    case allSkipped
    /// Every upstream run ended and none was skipped.
    case noneSkipped
    /// At least one upstream run succeeded or failed (ran); runs without waiting for the others.
    case oneDone

    /// What the rule decides for the given upstream tallies.
    enum Decision: Equatable {
        case wait
        case run
        case upstreamFailed
        case skipped
    }

    /// How a dependent's upstream runs in one DAG run have ended so far.
    struct Tally: Equatable {
        var succeeded: Int32 = 0
        var failed: Int32 = 0
        var upstreamFailed: Int32 = 0
        var skipped: Int32 = 0
        var pending: Int32 = 0
    }

    func decide(_ tally: Tally) -> Decision {
        let done = tally.pending == 0
        let failed = tally.failed + tally.upstreamFailed
        switch self {
        case .allSuccess:
            if failed > 0 { return .upstreamFailed }
            if tally.skipped > 0 { return .skipped }
            return done ? .run : .wait
        case .allFailed:
            if tally.succeeded > 0 || tally.skipped > 0 { return .skipped }
            return done ? .run : .wait
        case .allDone:
            return done ? .run : .wait
        case .allSkipped:
            if tally.succeeded > 0 || failed > 0 { return .skipped }
            return done ? .run : .wait
        case .oneSuccess:
            if tally.succeeded > 0 { return .run }
            guard done else { return .wait }
            return failed > 0 ? .upstreamFailed : .skipped
        case .oneFailed:
            if failed > 0 { return .run }
            return done ? .skipped : .wait
        case .oneDone:
            if tally.succeeded > 0 || tally.failed > 0 { return .run }
            return done ? .skipped : .wait
        case .noneFailed:
            if failed > 0 { return .upstreamFailed }
            return done ? .run : .wait
        case .noneFailedMinOneSuccess:
            if failed > 0 { return .upstreamFailed }
            guard done else { return .wait }
            return tally.succeeded > 0 ? .run : .skipped
        case .noneSkipped:
            if tally.skipped > 0 { return .skipped }
            return done ? .run : .wait
        case .always:
            return .run
        }
    }
}
