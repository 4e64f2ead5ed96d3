import Foundation
import KairosPlatform
import KairosTesting
import Testing

@testable import Kairos

/// The scheduler thread's pause after a burst (`Configuration.burstBatchingDelay`): jobs queued
/// already due wait for it, nothing else does, and it loses or repeats no run. The pause is real
/// time, so these tests use the system clock; each takes a few milliseconds.
@Suite(.timeLimit(.minutes(1))) struct BurstBatchingTests {
    private static let hour = Duration.seconds(3600)

    private func makeScheduler(
        delay: Duration, clock: any SchedulerClock = SystemClock.shared,
        maxConcurrentJobs: Int = 2
    ) -> Scheduler {
        Scheduler(configuration: .init(maxConcurrentJobs: maxConcurrentJobs, clock: clock, burstBatchingDelay: delay))
    }

    /// A started scheduler (pause of an hour, nothing else queued) whose first pass fired a burst
    /// of 16 jobs due at `due`, which have run: its scheduler thread is in the pause. A job due at
    /// `due` is then queued already due whatever the delays of a loaded machine (the scheduler has
    /// read its clock after `due`); one due at `Date()` might instead count as a new earliest date,
    /// which ends the pause, if the test resumes more than a second after that reading.
    private func schedulerInBurstPause() async throws -> (Scheduler, RunRecorder, due: Date) {
        let scheduler = makeScheduler(delay: Self.hour)
        let recorder = RunRecorder()
        let due = Date()
        for _ in 0..<SchedulerCore.burstThreshold {
            try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        }
        scheduler.start()
        await recorder.waitUntil(count: SchedulerCore.burstThreshold)
        return (scheduler, recorder, due)
    }

    @Test(arguments: [Duration.zero, .milliseconds(1), .milliseconds(5)])
    func aBurstOfJobsScheduledAlreadyDueRunsEachOnceInOrder(delay: Duration) async throws {
        let scheduler = makeScheduler(delay: delay, maxConcurrentJobs: 1)
        scheduler.start()
        let order = LockedState<[Int]>([])
        let count = 3_000
        for index in 0..<count {
            try scheduler.schedule(trigger: OnceTrigger(at: Date())) { _ in order.withLock { $0.append(index) } }
        }
        await scheduler.waitUntilIdle()
        #expect(order.withLock { $0 } == Array(0..<count))
        #expect(scheduler.stats.totals.runs == count)
        await scheduler.stop()
    }

    @Test func aJobQueuedAlreadyDueWaitsForThePauseAndANewEarliestDateEndsIt() async throws {
        let (scheduler, recorder, due) = try await schedulerInBurstPause()
        let waiting = try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        try await Task.sleep(for: .milliseconds(5))
        #expect(scheduler.job(waiting)?.counters.runs == 0)
        #expect(scheduler.job(waiting)?.lastDueDate == nil)
        try scheduler.schedule(trigger: OnceTrigger(at: Date().addingTimeInterval(60))) { _ in }
        await recorder.waitUntil(count: SchedulerCore.burstThreshold + 1)
        #expect(scheduler.job(waiting)?.lastDueDate != nil)
        await scheduler.stop()
    }

    @Test func stopEndsThePauseAtOnce() async throws {
        let (scheduler, _, due) = try await schedulerInBurstPause()
        let waiting = try scheduler.schedule(trigger: OnceTrigger(at: due)) { _ in }
        #expect(await scheduler.stop(timeout: .seconds(30)))
        #expect(scheduler.job(waiting)?.counters.runs == 0)
        #expect(!scheduler.isRunning)
    }

    @Test func pausingAndResumingTheSchedulerEndsThePause() async throws {
        let (scheduler, recorder, due) = try await schedulerInBurstPause()
        try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        scheduler.pause()
        scheduler.resume()
        await recorder.waitUntil(count: SchedulerCore.burstThreshold + 1)
        #expect(recorder.count == SchedulerCore.burstThreshold + 1)
        await scheduler.stop()
    }

    @Test func thePauseEndsBeforeTheEarliestDueDate() async throws {
        let scheduler = makeScheduler(delay: Self.hour)
        let recorder = RunRecorder()
        let timed = RunRecorder()
        try scheduler.schedule(trigger: OnceTrigger(at: Date().addingTimeInterval(0.02))) { context in timed.record(context) }
        for _ in 0..<(2 * SchedulerCore.burstThreshold) {
            try scheduler.schedule(trigger: OnceTrigger(at: Date())) { context in recorder.record(context) }
        }
        scheduler.start()
        await recorder.waitUntil(count: 2 * SchedulerCore.burstThreshold)
        await timed.waitUntil(count: 1)
        #expect(timed.count == 1)
        await scheduler.stop()
    }

    @Test func withAVirtualClockTheSchedulerNeverPauses() async throws {
        let clock = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let scheduler = makeScheduler(delay: Self.hour, clock: clock)
        let recorder = RunRecorder()
        let due = clock.now.date.addingTimeInterval(10)
        for _ in 0..<(2 * SchedulerCore.burstThreshold) {
            try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        }
        scheduler.start()
        clock.advance(to: due)
        await recorder.waitUntil(count: 2 * SchedulerCore.burstThreshold)
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { context in recorder.record(context) }
        await recorder.waitUntil(count: 2 * SchedulerCore.burstThreshold + 1)
        #expect(recorder.count == 2 * SchedulerCore.burstThreshold + 1)
    }

    @Test func theDelayDefaultsToOneMillisecondAndANegativeOneCountsAsZero() {
        #expect(Scheduler.Configuration().burstBatchingDelay == .milliseconds(1))
        #expect(Scheduler.Configuration(burstBatchingDelay: .seconds(-1)).burstBatchingDelay == .zero)
    }
}
