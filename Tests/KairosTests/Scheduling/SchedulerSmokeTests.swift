import Foundation
import Synchronization
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SchedulerSmokeTests {
    @Test func onceJobRunsWhenClockReachesItsDate() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let count = Atomic<Int>(0)
        let id = try scheduler.schedule(name: "once", trigger: OnceTrigger(at: Date(timeIntervalSince1970: 10))) { _ in
            count.add(1, ordering: .relaxed)
        }
        scheduler.start()
        await scheduler.waitUntilIdle()
        #expect(count.load(ordering: .relaxed) == 0)
        clock.advance(by: .seconds(10))
        await scheduler.waitUntilIdle()
        #expect(count.load(ordering: .relaxed) == 1)
        #expect(scheduler.job(id)?.status == .completed)
        #expect(scheduler.job(id)?.runCount == 1)
    }
}
