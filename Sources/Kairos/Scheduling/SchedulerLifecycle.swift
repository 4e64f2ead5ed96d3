/// Where a scheduler is in its life and what its thread is doing, as one value (as
/// swift-service-lifecycle's `ServiceGroup` keeps its state): no combination of flags can say two
/// things at once. Read and written only under the scheduler's lock.
enum SchedulerLifecycle: Equatable {
    /// Created and never started: jobs can be added, nothing fires, there is no thread.
    case idle
    /// Started: the scheduler thread fires due jobs.
    case running(SchedulerThreadState)
    /// Stopped while the thread is still alive: it ends at its next look at the lifecycle, unless
    /// a `start()` comes first and takes it over.
    case stopping(SchedulerThreadState)
    /// Stopped, and no thread is alive.
    case stopped

    var isRunning: Bool {
        if case .running = self { true } else { false }
    }

    /// What the scheduler thread is doing, `nil` when there is none. Setting it in a state
    /// without a thread does nothing.
    var thread: SchedulerThreadState? {
        get {
            switch self {
            case .running(let thread), .stopping(let thread): thread
            case .idle, .stopped: nil
            }
        }
        set {
            guard let newValue else { return }
            switch self {
            case .running: self = .running(newValue)
            case .stopping: self = .stopping(newValue)
            case .idle, .stopped: break
            }
        }
    }
}

/// What the scheduler thread is doing, as far as the threads that wake it need to know.
enum SchedulerThreadState: Equatable {
    /// It holds the lock for a pass, or a wake-up is on its way.
    case busy
    /// It waits on the condition until `deadline` on the scheduler's clock (infinity: no
    /// deadline); a change that makes something due earlier must signal it.
    case waiting(until: Double)
    /// It has released the lock to deliver a pass's effects, then maybe pauses after a burst.
    /// `reporting`: the pass has events, state changes or completions, which a waiter for
    /// idleness must see delivered first. `burstPauseUntil`: the end of the burst pause on the
    /// scheduler's clock, `nil` when there is none or it was ended early (through the pause's
    /// semaphore).
    case delivering(reporting: Bool, burstPauseUntil: Double?)
}
