import Foundation

/// The real wall clock.
///
/// Thread waits use an absolute deadline on the system's real-time clock, so a forward jump of
/// the wall clock (NTP step, manual change) wakes a waiting scheduler at once instead of letting
/// it oversleep; after a backward jump it waits for the wall clock to reach the deadline again.
public final class SystemClock: SchedulerClock {
    /// The shared instance; the type has no state.
    public static let shared = SystemClock()

    /// Creates a system clock.
    public init() {}

    /// The current wall-clock time.
    public var now: Date { Date() }

    /// Waits on `condition` until `deadline` on the real-time clock.
    public func wait(on condition: NSCondition, until deadline: Date?) {
        if let deadline {
            _ = condition.wait(until: deadline)
        } else {
            condition.wait()
        }
    }

    /// Sleeps until the wall clock reaches `deadline`, re-checking after each sleep so that a
    /// wall-clock change during the sleep is taken into account.
    public func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSince(now)
            if remaining <= 0 { return }
            try await Task.sleep(nanoseconds: UInt64(min(remaining, 86_400) * 1_000_000_000))
        }
    }
}
