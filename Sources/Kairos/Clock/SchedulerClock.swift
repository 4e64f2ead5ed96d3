import Foundation

/// The source of wall-clock time for everything in Kairos that reads or waits for the time: a
/// standard Swift `Clock` whose instants are wall-clock dates.
///
/// The scheduler, triggers, pipelines and persistence never call `Date()` directly: they ask
/// the clock they were given. Production code uses ``SystemClock``; tests use ``ManualClock``
/// and move it, so that a test of a job due next year runs in microseconds. Because both are
/// `Clock`s, code of your own can take `some Clock<Duration>` and be driven by the same
/// ``ManualClock`` as the scheduler in a test:
///
/// ```swift
/// func refresh(using clock: some Clock<Duration>) async throws {
///     try await clock.sleep(for: .seconds(5))
///     // …
/// }
/// ```
///
/// A clock of your own conforms by implementing `Clock`'s requirements (`now`,
/// `minimumResolution`, `sleep(until:tolerance:)`) with ``WallClockInstant`` as its instant. Its
/// `now` must never go backwards except for a deliberate wall-clock change, and its
/// `sleep(until:tolerance:)` must return (or throw `CancellationError` when cancelled) once `now`
/// has reached the deadline: the scheduler thread waits for its due dates through it. Conformers
/// must be safe to call from any thread.
public protocol SchedulerClock: Clock, Sendable where Instant == WallClockInstant, Duration == Swift.Duration {}

extension SchedulerClock {
    /// Suspends the current task until this clock reaches `deadline`.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    public func sleep(until deadline: Date) async throws {
        try await sleep(until: WallClockInstant(deadline), tolerance: nil)
    }
}
