import Foundation
import Kairos

/// The system clock shifted by a fixed offset: the fault tests' node whose clock is minutes off.
///
/// `now` is the wall clock plus the offset, and a deadline on this clock is waited for at the wall
/// clock's deadline minus the offset, so delays are real delays.
final class SkewedClock: SchedulerClock {
    let offset: TimeInterval

    init(offset: TimeInterval) { self.offset = offset }

    var now: Date { Date().addingTimeInterval(offset) }

    func wait(on condition: NSCondition, until deadline: Date?) {
        SystemClock.shared.wait(on: condition, until: deadline?.addingTimeInterval(-offset))
    }

    func sleep(until deadline: Date) async throws {
        try await SystemClock.shared.sleep(until: deadline.addingTimeInterval(-offset))
    }
}
