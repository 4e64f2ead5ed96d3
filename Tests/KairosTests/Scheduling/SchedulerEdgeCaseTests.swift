import Foundation
import KairosTesting
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SchedulerEdgeCaseTests {
    @Test func aForwardJumpOfTheWallClockFiresWhatBecameDueAtOnce() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let due = clock.now.date.addingTimeInterval(86_400)
        try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        await scheduler.waitUntilIdle()
        clock.set(to: due.addingTimeInterval(0.5))  // the scheduler thread is waiting for `due`
        await recorder.waitUntil(count: 1)
        #expect(recorder.dueDates == [due])
    }

    @Test func aBackwardJumpDoesNotFireEarly() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let start = clock.now.date
        try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(60))) { context in recorder.record(context) }
        clock.set(to: start.addingTimeInterval(-3600))
        await scheduler.waitUntilIdle()
        clock.set(to: start.addingTimeInterval(59))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        clock.set(to: start.addingTimeInterval(60))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 1)
    }

    @Test func eventsWhileThePostedJobIsPausedAreCountedAsMissed() async throws {
        let (scheduler, _) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: SignalTrigger(key: "k")) { context in recorder.record(context) }
        try scheduler.pause(id)
        scheduler.send(signal: "k")
        scheduler.send(signal: "k")
        try scheduler.resume(id)
        scheduler.send(signal: "k", payload: 1)
        await scheduler.waitUntilIdle()
        #expect(recorder.payloads == [1])
        #expect(scheduler.job(id)?.counters.missed == 2)
    }

    @Test func maxRunsCountsRunNowAndEventsToo() async throws {
        let (scheduler, _) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: SignalTrigger(key: "e"), options: JobOptions(maxRuns: 2)) { context in
            recorder.record(context)
        }
        try await scheduler.runNow(id)
        scheduler.send(signal: "e")
        await scheduler.waitUntilIdle()
        scheduler.send(signal: "e")
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 2)
        #expect(scheduler.job(id)?.status == .completed)
    }

    @Test func statusFiltersAndStatsAddUp() async throws {
        let (scheduler, clock) = makeScheduler()
        let pending = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        let paused = try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(startPaused: true)) { _ in }
        let cancelled = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        scheduler.cancel(cancelled)
        let done = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { _ in }
        await scheduler.waitUntilIdle()
        #expect(scheduler.jobs(status: .pending).map(\.id) == [pending])
        #expect(scheduler.jobs(status: .paused).map(\.id) == [paused])
        #expect(scheduler.jobs(status: .cancelled).map(\.id) == [cancelled])
        #expect(scheduler.jobs(status: .completed).map(\.id) == [done])
        #expect(scheduler.jobs().count == 4)
        let stats = scheduler.stats
        #expect(stats.jobs == 4)
        #expect(stats.pausedJobs == 1)
        #expect(stats.activeRuns == 0)
        #expect(stats.totals.runs == 1)
    }

    @Test func reschedulingAPausedJobKeepsItPaused() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(
            trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(10)),
            options: JobOptions(startPaused: true)
        ) { context in recorder.record(context) }
        try scheduler.reschedule(id, trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(5)))
        clock.advance(by: .seconds(20))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        #expect(scheduler.job(id)?.status == .paused)
        #expect(scheduler.job(id)?.nextFireDate == clock.now.date.addingTimeInterval(-15))
        try scheduler.resume(id, catchingUp: false)
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        #expect(scheduler.job(id)?.status == .completed)
    }

    @Test func asyncBodiesRunConcurrentlyUpToTheLimitAndNoFurther() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 2)
        let gate = Gate()
        let recorder = RunRecorder()
        for _ in 0..<5 {
            try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { context in
                recorder.record(context)
                await gate.wait()
            }
        }
        await recorder.waitUntil(count: 2)
        for _ in 0..<100 { await Task.yield() }
        #expect(recorder.count == 2)
        #expect(scheduler.stats.executingRuns == 2)
        #expect(scheduler.stats.activeRuns == 5)
        gate.open()
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 5)
    }

    @Test func finishedSynchronousRunsAreReusedWithoutKeepingTheirJobAlive() async throws {
        final class Capture: Sendable {}
        let clock = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 1, clock: clock, finishedJobRetention: 0))
        scheduler.start()
        weak var weakCapture: Capture?
        do {
            let capture = Capture()
            weakCapture = capture
            try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { _ in _ = capture }
        }
        await scheduler.waitUntilIdle()
        // A finished run is pooled only if nothing else holds it at that instant (the worker may
        // still), so the pool holds at most one run here, never more.
        #expect(scheduler.core.condition.withLock { scheduler.core.timeline.runPool.count } <= 1)
        // The job is forgotten at once (retention 0) and a pooled run is cleared: once the worker
        // lets go, nothing keeps the body's captures alive.
        await eventually("the body's captures are released") { weakCapture == nil }
        let recorder = RunRecorder()
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { context in recorder.record(context) }
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 1)
        #expect(scheduler.core.condition.withLock { scheduler.core.timeline.runPool.count } <= 1)
    }

    @Test func finishedSynchronousRunsGoBackToThePool() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1)
        // A worker hands the runs of one report to the pool with its next report.
        for _ in 0..<2 {
            for _ in 0..<100 {
                try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { _ in }
            }
            await scheduler.waitUntilIdle()
        }
        #expect(scheduler.core.condition.withLock { scheduler.core.timeline.runPool.count } > 0)
    }
}
