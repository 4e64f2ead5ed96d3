import Foundation
import Kairos
import Synchronization
import Testing

/// Stepping a `ManualClock` from outside the package (a plain `import Kairos`): every due date
/// fires on time, in order, and the test waits for events, not for time.
@Suite(.timeLimit(.minutes(1))) struct ManualClockStepTests {
    /// The README's example, as a user writes it.
    @Test func aYearOfScheduleInMillisecondsWithNoSleeps() async throws {
        let clock = ManualClock(now: try Date("2026-01-01T00:00:00Z", strategy: .iso8601))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let reports = try scheduler.schedule(name: "report", trigger: try CronTrigger("0 6 * * *", timeZone: .gmt)) { _ in }
        scheduler.start()

        await clock.step(by: .seconds(365 * 86_400))  // every 06:00 of 2026 fires on time, in order

        let job = try #require(scheduler.job(reports))
        #expect(job.runCount == 365)
        #expect(job.counters.missed == 0)
    }

    /// 720 hourly dates in one step, with overlap `.skip` and a body that records its due date: 720
    /// runs, each before the next is due (a jump of the clock would have made 1 run and 719 misses).
    @Test func everyHourOfAMonthRunsInOrder() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 1_767_225_600))
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 2, clock: clock))
        let start = clock.now.date
        let dues = Mutex<[Date]>([])
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(3600), startingAt: start.addingTimeInterval(3600))) { context in
            dues.withLock { $0.append(context.dueDate) }
        }
        scheduler.start()
        await clock.step(by: .seconds(720 * 3600))
        #expect(dues.withLock { $0 } == (1...720).map { start.addingTimeInterval(Double($0) * 3600) })
        #expect(scheduler.job(id)?.counters.missed == 0)
        #expect(scheduler.job(id)?.counters.overlapSkipped == 0)
        #expect(clock.now.date == start.addingTimeInterval(720 * 3600))
    }

    /// Steps stop at every scheduler on the clock and at tasks sleeping on it, in date order.
    @Test func stepsVisitEverySchedulerAndSleeperInDateOrder() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let order = Mutex<[String]>([])
        let first = Scheduler(configuration: .init(clock: clock))
        let second = Scheduler(configuration: .init(clock: clock))
        try first.schedule(trigger: try IntervalTrigger(every: .seconds(10), startingAt: Date(timeIntervalSince1970: 10), repeatCount: 3)) { context in
            order.withLock { $0.append("a\(Int(context.dueDate.timeIntervalSince1970))") }
        }
        try second.schedule(trigger: try IntervalTrigger(every: .seconds(15), startingAt: Date(timeIntervalSince1970: 15), repeatCount: 2)) { context in
            order.withLock { $0.append("b\(Int(context.dueDate.timeIntervalSince1970))") }
        }
        first.start()
        second.start()
        let sleeper = Task {
            try await clock.sleep(until: Date(timeIntervalSince1970: 25))
            order.withLock { $0.append("sleeper\(Int(clock.now.date.timeIntervalSince1970))") }
        }
        while clock.sleepingTaskCount == 0 { await Task.yield() }
        await clock.step(by: .seconds(40))
        try await sleeper.value
        let seen = order.withLock { $0 }
        #expect(seen.filter { $0 != "sleeper25" } == ["a10", "b15", "a20", "a30", "b30"] || seen.filter { $0 != "sleeper25" } == ["a10", "b15", "a20", "b30", "a30"])
        #expect(seen.contains("sleeper25"))
        #expect(clock.now.date == Date(timeIntervalSince1970: 40))
    }

    /// `waitUntilIdle` is public: after a jump of the clock, a test waits for the catch-up.
    @Test func waitUntilIdleLetsATestWaitForTheCatchUpOfAJump() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let scheduler = Scheduler(configuration: .init(clock: clock, defaultMisfire: .runLatest))
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(60), startingAt: Date(timeIntervalSince1970: 60))) { _ in }
        scheduler.start()
        clock.advance(by: .seconds(600))
        await scheduler.waitUntilIdle()
        #expect(scheduler.job(id)?.runCount == 1)
        #expect(scheduler.job(id)?.counters.missed == 9)
    }
}
