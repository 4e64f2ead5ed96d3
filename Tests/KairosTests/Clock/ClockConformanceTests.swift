import Foundation
import Kairos
import Synchronization
import Testing

/// The clocks are standard Swift `Clock`s: user code generic over `some Clock<Duration>` runs on
/// the scheduler's `ManualClock`, and a `SchedulerClock` written by a user drives a scheduler.
@Suite(.timeLimit(.minutes(1))) struct ClockConformanceTests {
    /// User code that knows nothing of Kairos, written against `Clock`.
    private static func countTicks(on clock: some Clock<Duration>, ticks: Int, into count: borrowing Mutex<Int>) async throws {
        for _ in 0..<ticks {
            try await clock.sleep(for: .seconds(5))
            count.withLock { $0 += 1 }
        }
    }

    @Test func codeTakingAnyClockSleepsOnTheManualClockUntilItIsMoved() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let count = Mutex(0)
        let ticker = Task { try await Self.countTicks(on: clock, ticks: 3, into: count) }
        for expected in 1...3 {
            while clock.sleepingTaskCount == 0 { await Task.yield() }
            clock.advance(by: .seconds(4))
            #expect(clock.sleepingTaskCount == 1)
            clock.advance(by: .seconds(1))
            while count.withLock({ $0 }) < expected { await Task.yield() }
        }
        try await ticker.value
        #expect(clock.now == WallClockInstant(Date(timeIntervalSince1970: 15)))
    }

    /// A job body sleeps on the scheduler's own clock; `advance` resumes it, and the run ends.
    @Test func aJobBodySleepingOnTheSchedulersClockIsResumedByAdvance() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let woke = Mutex<WallClockInstant?>(nil)
        let id = try scheduler.schedule(trigger: OnceTrigger(at: Date(timeIntervalSince1970: 10))) { _ in
            try await clock.sleep(for: .seconds(30))
            woke.withLock { $0 = clock.now }
        }
        scheduler.start()
        clock.advance(by: .seconds(10))
        while clock.sleepingTaskCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(30))
        await scheduler.waitUntilIdle()
        #expect(woke.withLock { $0 } == WallClockInstant(Date(timeIntervalSince1970: 40)))
        #expect(scheduler.job(id)?.runCount == 1)
    }

    @Test func theSystemClockIsAClockOfWallClockDates() async throws {
        let clock: any Clock<Duration> = SystemClock.shared
        let before = Date()
        let start = SystemClock.shared.now
        try await clock.sleep(for: .milliseconds(2))
        #expect(start.date >= before)
        #expect(start.duration(to: SystemClock.shared.now) >= .milliseconds(2))
    }

    @Test(arguments: [0, 0.25, 1_767_225_600, 1_767_225_600.123_456, -86_400.5, 4_102_444_800.999])
    func anInstantConvertsToAndFromItsDateExactly(secondsSince1970: Double) {
        let date = Date(timeIntervalSince1970: secondsSince1970)
        let instant = WallClockInstant(date)
        #expect(instant.date == date)
        #expect(instant.advanced(by: .seconds(90)).date == date.addingTimeInterval(90))
        #expect(instant.duration(to: instant.advanced(by: .milliseconds(1500))) == .milliseconds(1500))
        #expect(instant < instant.advanced(by: .seconds(1)))
    }

    /// A clock written by a user: only `Clock`'s requirements, no thread-waiting protocol. The
    /// scheduler thread waits for its due dates through the clock's `sleep`, so a due date is
    /// reached exactly when this clock says so.
    @Test func aSchedulerRunsOnAClockWrittenByAUser() async throws {
        let clock = DelegatingClock(ManualClock(now: Date(timeIntervalSince1970: 0)))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        scheduler.start()
        let (ran, ranContinuation) = AsyncStream.makeStream(of: Date.self)
        // Scheduled after `start`: the thread is waiting without a deadline and must be woken.
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(60), startingAt: Date(timeIntervalSince1970: 60), repeatCount: 2)) { context in
            ranContinuation.yield(context.dueDate)
        }
        var runs = ran.makeAsyncIterator()
        clock.base.advance(by: .seconds(59))
        clock.base.advance(by: .seconds(1))
        #expect(await runs.next() == Date(timeIntervalSince1970: 60))
        // The body has yielded but its run is still going until the scheduler records its end: a
        // fire at 120 before then would be skipped as an overlap (the default policy).
        await scheduler.waitUntilIdle()
        clock.base.advance(by: .seconds(60))
        #expect(await runs.next() == Date(timeIntervalSince1970: 120))
        await scheduler.waitUntilIdle()
        #expect(scheduler.job(id)?.runCount == 2)
        #expect(scheduler.job(id)?.counters.missed == 0)
        #expect(scheduler.job(id)?.counters.overlapSkipped == 0)
        _ = await scheduler.stop()
    }
}

/// A user's clock over a `ManualClock`, without Kairos's internal conformances.
private struct DelegatingClock: SchedulerClock {
    let base: ManualClock
    init(_ base: ManualClock) { self.base = base }
    var now: WallClockInstant { base.now }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: WallClockInstant, tolerance: Duration?) async throws {
        try await base.sleep(until: deadline, tolerance: tolerance)
    }
}
