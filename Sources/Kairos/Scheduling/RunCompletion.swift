/// Who hears how a run that a caller asked for ended: nobody (a fired run), a closure per run
/// (``Scheduler/runNow(_:)``), or a ``Scheduler/RequestedRunSink`` that hears every run finished
/// by one report of the executor in one call (DAG runs: no closure allocated per run, and one
/// call into the layer above per batch instead of one per run).
enum RunCompletion {
    case none
    case call(@Sendable (RunOutcome) -> Void)
    case report(to: any Scheduler.RequestedRunSink, token: UInt64)
}
