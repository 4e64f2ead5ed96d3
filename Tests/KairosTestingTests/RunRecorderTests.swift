import Foundation
import Kairos
import KairosTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct RunRecorderTests {
    /// The README's example: a year of a daily job in virtual time, every due date recorded in order.
    @Test func aYearOfDailyRunsIsRecordedInOrder() async throws {
        let start = try Date("2026-01-01T00:00:00Z", strategy: .iso8601)
        let clock = ManualClock(now: start)
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let runs = RunRecorder()
        let report = try scheduler.schedule(name: "report", trigger: try CronTrigger("0 6 * * *", timeZone: .gmt)) { context in
            runs.record(context)
        }
        scheduler.start()

        await clock.step(by: .seconds(365 * 86_400))

        #expect(runs.dueDates == (0..<365).map { start.addingTimeInterval(Double($0) * 86_400 + 6 * 3600) })
        #expect(runs.runs.allSatisfy { $0.jobID == report && $0.name == "report" && $0.attempt == 1 })
        #expect(Set(runs.idempotencyKeys).count == 365)
    }

    /// Runs started by events, not by the clock: the test waits for the runs themselves.
    @Test func waitUntilCountReturnsOnceEnoughRunsAreRecorded() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let runs = RunRecorder()
        try scheduler.schedule(trigger: SignalTrigger(key: "deploy"), options: JobOptions(overlap: .allowAll(limit: 2))) { context in runs.record(context) }
        scheduler.start()
        let waiter = Task { await runs.waitUntil(count: 2) }
        scheduler.send(signal: "deploy", payload: .string("v1"))
        scheduler.send(signal: "deploy", payload: .string("v2"))
        let recorded = await waiter.value
        #expect(recorded.count == 2)
        #expect(Set(recorded.map(\.payload)) == [.string("v1"), .string("v2")])
        #expect(await runs.waitUntil(count: 1).count == 2)  // satisfied already: returns at once
    }

    @Test func aCancelledWaitReturnsWithWhatWasRecorded() async {
        let runs = RunRecorder()
        let waiter = Task { await runs.waitUntil(count: 1) }
        waiter.cancel()
        #expect(await waiter.value.isEmpty)
    }
}
