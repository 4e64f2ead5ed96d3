import Foundation
import Testing
@testable import Kairos

/// The scheduler thread's pause after a burst (`Configuration.burstBatchingDelay`): jobs queued
/// already due wait for it, nothing else does, and it loses or repeats no run.
@Suite(.timeLimit(.minutes(1))) struct BurstBatchingTests {
    private static let hour = Duration.seconds(3600)

    private func makeScheduler(delay: Duration, clock: any SchedulerClock, maxConcurrentJobs: Int = 2) -> Scheduler {
        Scheduler(configuration: .init(maxConcurrentJobs: maxConcurrentJobs, clock: clock, burstBatchingDelay: delay))
    }

    /// A started scheduler (pause of an hour) that has fired a burst of 16 jobs due at once and
    /// run them: its scheduler thread is in the pause.
    private func schedulerInBurstPause() async throws -> (Scheduler, ManualClock, RunRecorder) {
        let clock = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let scheduler = makeScheduler(delay: Self.hour, clock: clock)
        let recorder = RunRecorder()
        let due = clock.now.addingTimeInterval(10)
        for _ in 0..<SchedulerCore.burstThreshold {
            try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        }
        scheduler.start()
        clock.advance(to: due)
        await recorder.waitFor(SchedulerCore.burstThreshold)
        return (scheduler, clock, recorder)
    }

    @Test(arguments: [Duration.zero, .milliseconds(1), .milliseconds(5)])
    func aBurstOfJobsScheduledAlreadyDueRunsEachOnceInOrder(delay: Duration) async throws {
        let clock = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let scheduler = makeScheduler(delay: delay, clock: clock, maxConcurrentJobs: 1)
        scheduler.start()
        let order = LockedState<[Int]>([])
        let count = 3_000
        for index in 0..<count {
            try scheduler.schedule(trigger: OnceTrigger(at: clock.now)) { _ in order.withLock { $0.append(index) } }
        }
        await scheduler.waitUntilIdle()
        #expect(order.withLock { $0 } == Array(0..<count))
        #expect(scheduler.stats.totals.runs == count)
    }

    @Test func aJobQueuedAlreadyDueWaitsForThePauseAndANewEarliestDateEndsIt() async throws {
        let (scheduler, clock, recorder) = try await schedulerInBurstPause()
        let waiting = try scheduler.schedule(trigger: OnceTrigger(at: clock.now)) { context in recorder.record(context) }
        try await Task.sleep(for: .milliseconds(5))
        #expect(scheduler.job(waiting)?.counters.runs == 0)
        #expect(scheduler.job(waiting)?.lastDueDate == nil)
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.addingTimeInterval(60))) { _ in }
        await recorder.waitFor(SchedulerCore.burstThreshold + 1)
        #expect(scheduler.job(waiting)?.lastDueDate == clock.now)
    }

    @Test func stopEndsThePauseAtOnce() async throws {
        let (scheduler, clock, recorder) = try await schedulerInBurstPause()
        let waiting = try scheduler.schedule(trigger: OnceTrigger(at: clock.now)) { context in recorder.record(context) }
        #expect(await scheduler.stop(timeout: .seconds(30)))
        #expect(scheduler.job(waiting)?.counters.runs == 0)
        #expect(!scheduler.isRunning)
    }

    @Test func pausingAndResumingTheSchedulerEndsThePause() async throws {
        let (scheduler, clock, recorder) = try await schedulerInBurstPause()
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now)) { context in recorder.record(context) }
        scheduler.pause()
        scheduler.resume()
        await recorder.waitFor(SchedulerCore.burstThreshold + 1)
        #expect(recorder.count == SchedulerCore.burstThreshold + 1)
    }

    /// Real time, a few milliseconds: with the system clock the pause ends before the earliest
    /// due date, so a job due during it fires on time (not an hour later).
    @Test func withTheSystemClockThePauseEndsBeforeTheEarliestDueDate() async throws {
        let scheduler = makeScheduler(delay: Self.hour, clock: SystemClock.shared)
        let recorder = RunRecorder()
        let timed = RunRecorder()
        try scheduler.schedule(trigger: OnceTrigger(at: Date().addingTimeInterval(0.02))) { context in timed.record(context) }
        for _ in 0..<(2 * SchedulerCore.burstThreshold) {
            try scheduler.schedule(trigger: OnceTrigger(at: Date())) { context in recorder.record(context) }
        }
        scheduler.start()
        await recorder.waitFor(2 * SchedulerCore.burstThreshold)
        await timed.waitFor(1)
        #expect(timed.count == 1)
        await scheduler.stop()
    }

    @Test func theDelayDefaultsToOneMillisecondAndANegativeOneCountsAsZero() {
        #expect(Scheduler.Configuration().burstBatchingDelay == .milliseconds(1))
        #expect(Scheduler.Configuration(burstBatchingDelay: .seconds(-1)).burstBatchingDelay == .zero)
    }
}
