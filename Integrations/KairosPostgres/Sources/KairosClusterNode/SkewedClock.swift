import Foundation
import Kairos

/// The system clock shifted by a fixed offset: the fault tests' node whose clock is minutes off.
///
/// `now` is the wall clock plus the offset, and a deadline on this clock is waited for at the wall
/// clock's deadline minus the offset, so delays are real delays.
final class SkewedClock: SchedulerClock {
    let offset: TimeInterval

    init(offset: TimeInterval) { self.offset = offset }

    var now: WallClockInstant { WallClockInstant(Date().addingTimeInterval(offset)) }

    var minimumResolution: Duration { SystemClock.shared.minimumResolution }

    func sleep(until deadline: WallClockInstant, tolerance: Duration? = nil) async throws {
        try await SystemClock.shared.sleep(until: WallClockInstant(deadline.date.addingTimeInterval(-offset)), tolerance: tolerance)
    }
}
