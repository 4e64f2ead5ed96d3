import Foundation

/// The source of wall-clock time for everything in Kairos that reads or waits for the time.
///
/// The scheduler, triggers, pipelines and persistence never call `Date()` directly: they ask
/// the clock they were given. Production code uses ``SystemClock``; tests use ``ManualClock``
/// and advance it, so that a test of a job due next year runs in microseconds.
///
/// Conformers must be safe to call from any thread.
public protocol SchedulerClock: AnyObject, Sendable {
    /// The current wall-clock time.
    var now: Date { get }

    /// Blocks the calling thread on `condition` until this clock reaches `deadline`, the condition
    /// is signalled, or a spurious wake-up happens.
    ///
    /// The caller must hold `condition`'s lock; it is released while waiting and held again on
    /// return. Callers loop and re-check their own state, as with any condition variable. A `nil`
    /// deadline waits until the condition is signalled.
    func wait(on condition: NSCondition, until deadline: Date?)

    /// Suspends the current task until this clock reaches `deadline`.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    func sleep(until deadline: Date) async throws
}
