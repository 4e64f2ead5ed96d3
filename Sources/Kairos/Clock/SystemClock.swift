import Foundation
import KairosPlatform

/// The real wall clock, as a standard Swift `Clock` whose instants are wall-clock dates.
///
/// Thread waits use an absolute deadline on the system's real-time clock, so a forward jump of
/// the wall clock (NTP step, manual change) wakes a waiting scheduler at once instead of letting
/// it oversleep; after a backward jump it waits for the wall clock to reach the deadline again.
public final class SystemClock: SchedulerClock, ThreadWaitingClock {
    /// The shared instance; the type has no state.
    public static let shared = SystemClock()

    /// Creates a system clock.
    public init() {}

    /// The current wall-clock time.
    public var now: WallClockInstant { WallClockInstant(Date()) }

    /// One nanosecond, the unit of the system's real-time clock.
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Waits on `condition` until `deadline` on the real-time clock.
    package func wait(on condition: NSCondition, until deadline: Date?) {
        if let deadline {
            _ = condition.wait(until: deadline)
        } else {
            condition.wait()
        }
    }

    /// Sleeps until the wall clock reaches `deadline`.
    ///
    /// The wait is a one-shot Dispatch timer on a wall-clock deadline (the system real-time
    /// clock, like the thread waits), not a monotonic sleep: a forward jump of the wall clock past
    /// the deadline ends it at once instead of letting it oversleep. It re-checks the clock after
    /// each wake-up, so it never returns early.
    ///
    /// `tolerance` is ignored: the timer has no leeway.
    ///
    /// - Throws: `CancellationError` as soon as the task is cancelled.
    public func sleep(until deadline: WallClockInstant, tolerance: Duration? = nil) async throws {
        let deadline = deadline.date
        while Date() < deadline {
            try await sleepOnce(until: deadline)
        }
    }

    private func sleepOnce(until deadline: Date) async throws {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        defer { timer.cancel() }
        let waiter = LockedState<CheckedContinuation<Void, any Error>?>(nil)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                waiter.withLock { $0 = continuation }
                timer.setEventHandler { waiter.withLock { $0.take() }?.resume() }
                timer.schedule(wallDeadline: Self.wallTime(of: deadline), leeway: .nanoseconds(0))
                // Resumed unconditionally: Dispatch must never release a suspended source.
                timer.resume()
                if Task.isCancelled {
                    waiter.withLock { $0.take() }?.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            waiter.withLock { $0.take() }?.resume(throwing: CancellationError())
        }
    }

    private static func wallTime(of date: Date) -> DispatchWallTime {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let nanoseconds = (date.timeIntervalSince1970 - seconds) * 1_000_000_000
        return DispatchWallTime(timespec: timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)))
    }
}
