import Synchronization

/// One ``Scheduler/runNow(_:)`` call's run, shared with the cancellation handler of the calling
/// task: whichever comes second of the run being fired and the caller being cancelled cancels the
/// run, so that a cancellation racing the call is never lost.
final class RunNowRequest: Sendable {
    private struct State {
        var run: JobRun?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Records the fired run; returns `true` if the caller was cancelled already (the caller then
    /// cancels the run).
    func attach(_ run: JobRun) -> Bool {
        state.withLock { state in
            state.run = run
            return state.cancelled
        }
    }

    /// Records the caller's cancellation; returns the run to cancel, if it was fired already.
    func cancel() -> JobRun? {
        state.withLock { state in
            state.cancelled = true
            return state.run
        }
    }

    /// Whether the run ended without starting because the caller was cancelled. Read once the
    /// run's completion has been called.
    var withdrawn: Bool {
        state.withLock { state in state.cancelled && state.run.map { !$0.didStart } ?? false }
    }
}
