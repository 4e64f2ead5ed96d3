import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct ManualClockTests {
    @Test func advanceMovesNow() {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        clock.advance(by: .seconds(90))
        #expect(clock.now.date == Date(timeIntervalSince1970: 90))
    }

    @Test func sleepResumesWhenDeadlineReached() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let sleeper = Task { try await clock.sleep(until: Date(timeIntervalSince1970: 60)) }
        while clock.sleepingTaskCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(30))
        #expect(clock.sleepingTaskCount == 1)
        clock.advance(by: .seconds(30))
        try await sleeper.value
        #expect(clock.sleepingTaskCount == 0)
    }

    @Test func cancelledSleepThrows() async {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let sleeper = Task { try await clock.sleep(until: Date(timeIntervalSince1970: 60)) }
        while clock.sleepingTaskCount == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func threadWaitWakesOnAdvance() {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let condition = NSCondition()
        let deadline = Date(timeIntervalSince1970: 10)
        let waiter = Thread {
            condition.lock()
            while clock.now.date < deadline { clock.wait(on: condition, until: deadline) }
            condition.unlock()
        }
        waiter.start()
        clock.advance(by: .seconds(10))
        while !waiter.isFinished { usleep(100) }
        #expect(clock.now.date == deadline)
    }
}
