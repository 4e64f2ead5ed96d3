import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SystemClockTests {
    @Test func sleepReturnsOnlyOnceTheWallClockReachedTheDeadline() async throws {
        let clock = SystemClock()
        let deadline = clock.now.date.addingTimeInterval(0.005)
        try await clock.sleep(until: deadline)
        #expect(clock.now.date >= deadline)
    }

    @Test func sleepUntilAPastDeadlineReturnsAtOnce() async throws {
        let clock = SystemClock()
        try await clock.sleep(until: clock.now.date.addingTimeInterval(-60))
    }

    @Test func cancellingASleepThrowsWithoutWaitingForTheDeadline() async {
        let clock = SystemClock()
        let sleeper = Task { try await clock.sleep(until: clock.now.date.addingTimeInterval(3600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func threadWaitEndsAtTheDeadline() {
        let clock = SystemClock()
        let condition = NSCondition()
        let deadline = clock.now.date.addingTimeInterval(0.005)
        condition.lock()
        while clock.now.date < deadline { clock.wait(on: condition, until: deadline) }
        condition.unlock()
        #expect(clock.now.date >= deadline)
    }
}
