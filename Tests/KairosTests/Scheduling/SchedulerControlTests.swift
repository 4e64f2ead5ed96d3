import Foundation
import KairosTesting
import Synchronization
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SchedulerControlTests {
    @Test func pausedJobDoesNotFireAndResumeCatchesUpPerMisfirePolicy() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let start = clock.now.date
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(10), startingAt: start.addingTimeInterval(10))) { context in
            recorder.record(context)
        }
        try scheduler.pause(id)
        #expect(scheduler.job(id)?.status == .paused)
        clock.advance(by: .seconds(35))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        try scheduler.resume(id)  // catching up: runLatest runs 00:30 once, 3 due dates passed
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [start.addingTimeInterval(30)])
        let job = try #require(scheduler.job(id))
        #expect(job.counters.missed == 2)
        #expect(job.nextFireDate == start.addingTimeInterval(40))
    }

    @Test func resumeFromNowSkipsWhatPassedWithoutCountingIt() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let start = clock.now.date
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(10), startingAt: start.addingTimeInterval(10))) { context in
            recorder.record(context)
        }
        try scheduler.pause(id)
        clock.advance(by: .seconds(35))
        try scheduler.resume(id, catchingUp: false)
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        #expect(scheduler.job(id)?.counters.missed == 0)
        #expect(scheduler.job(id)?.nextFireDate == start.addingTimeInterval(40))
        clock.advance(by: .seconds(5))
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [start.addingTimeInterval(40)])
    }

    @Test func pausingTheWholeSchedulerHoldsEveryJob() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let due = clock.now.date.addingTimeInterval(5)
        try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        scheduler.pause()
        #expect(scheduler.isPaused)
        clock.advance(by: .seconds(10))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        scheduler.resume()
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [due])
    }

    @Test func cancellingARunningJobCancelsItsTaskAndStopsItsSchedule() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let sawCancellation = Atomic<Bool>(false)
        let id = try scheduler.schedule(name: "long", trigger: try IntervalTrigger(every: .seconds(10))) { context in
            recorder.record(context)
            do {
                try await clock.sleep(until: .distantFuture)
            } catch is CancellationError {
                sawCancellation.store(context.isCancelled && Task.isCancelled, ordering: .relaxed)
                throw CancellationError()
            }
        }
        clock.advance(by: .seconds(10))
        await recorder.waitUntil(count: 1)
        #expect(scheduler.job(id)?.status == .running)
        #expect(scheduler.cancel(id))
        await scheduler.waitUntilIdle()
        let job = try #require(scheduler.job(id))
        #expect(job.status == .cancelled)
        #expect(job.activeRuns == 0)
        if case .cancelled = job.lastOutcome {} else { Issue.record("outcome \(String(describing: job.lastOutcome))") }
        #expect(sawCancellation.load(ordering: .relaxed) == true)
        clock.advance(by: .seconds(60))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 1)
        #expect(!scheduler.cancel(id))
        #expect(throws: SchedulerError.jobCancelled(id)) { try scheduler.resume(id) }
    }

    @Test func synchronousBodySeesCancellationThroughItsContext() async throws {
        let (scheduler, clock) = makeScheduler()
        let started = RunRecorder()
        let observed = Atomic<Bool>(false)
        let id = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { context in
            started.record(context)
            while !context.isCancelled { usleep(100) }
            observed.store(true, ordering: .relaxed)
            try context.checkCancellation()
        }
        clock.advance(by: .seconds(1))
        await started.waitUntil(count: 1)
        scheduler.cancel(id)
        await scheduler.waitUntilIdle()
        #expect(observed.load(ordering: .relaxed) == true)
        #expect(scheduler.job(id)?.status == .cancelled)
    }

    @Test func rescheduleReplacesTheTriggerAndRevivesACompletedJob() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let start = clock.now.date
        let id = try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(100))) { context in recorder.record(context) }
        try scheduler.reschedule(id, trigger: try IntervalTrigger(every: .seconds(7), startingAt: start.addingTimeInterval(7), repeatCount: 2))
        #expect(try scheduler.nextFireDates(of: id, count: 5) == [start.addingTimeInterval(7), start.addingTimeInterval(14)])
        await stepThroughFires(of: id, scheduler: scheduler, clock: clock, limit: 5)
        #expect(recorder.dueDates == [start.addingTimeInterval(7), start.addingTimeInterval(14)])
        #expect(scheduler.job(id)?.status == .completed)
        try scheduler.reschedule(id, trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1)))
        #expect(scheduler.job(id)?.status == .pending)
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 3)
        #expect(scheduler.job(id)?.status == .completed)
        #expect(throws: SchedulerError.jobNotFound(JobID(rawValue: 12345))) {
            try scheduler.reschedule(JobID(rawValue: 12345), trigger: ManualTrigger())
        }
    }

    @Test func stopWaitsForRunningJobs() async throws {
        let (scheduler, clock) = makeScheduler()
        let gate = Gate()
        let recorder = RunRecorder()
        let finished = Atomic<Bool>(false)
        let id = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { context in
            recorder.record(context)
            await gate.wait()
            finished.store(true, ordering: .relaxed)
        }
        clock.advance(by: .seconds(1))
        await recorder.waitUntil(count: 1)
        let stopping = Task { await scheduler.stop(timeout: .seconds(60)) }
        while scheduler.isRunning { await Task.yield() }
        #expect(finished.load(ordering: .relaxed) == false)
        gate.open()
        #expect(await stopping.value)
        #expect(finished.load(ordering: .relaxed) == true)
        #expect(scheduler.job(id)?.status == .completed)
    }

    @Test func stopCancelsRunsStillGoingAtTheTimeout() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { context in
            recorder.record(context)
            try await Task.sleep(for: .seconds(3600))
        }
        clock.advance(by: .seconds(1))
        await recorder.waitUntil(count: 1)
        let stopping = Task { await scheduler.stop(timeout: .seconds(5)) }
        while clock.sleepingTaskCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(5))
        #expect(await stopping.value == false)
        await scheduler.waitUntilIdle()
        if case .cancelled = scheduler.job(id)?.lastOutcome {} else { Issue.record("run was not cancelled") }
    }

    @Test func stoppedSchedulerCatchesUpOnRestart() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let start = clock.now.date
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(60), startingAt: start.addingTimeInterval(60))) { context in
            recorder.record(context)
        }
        #expect(await scheduler.stop())
        #expect(!scheduler.isRunning)
        clock.advance(by: .seconds(300))
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        scheduler.start()
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [start.addingTimeInterval(300)])
        #expect(scheduler.job(id)?.counters.missed == 4)
    }

    @Test func timeoutCancelsTheRunAndRecordsItAsTimedOut() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1)), options: JobOptions(timeout: .seconds(30))) { context in
            recorder.record(context)
            try await clock.sleep(until: .distantFuture)
        }
        clock.advance(by: .seconds(1))
        await recorder.waitUntil(count: 1)
        clock.advance(by: .seconds(29))
        #expect(scheduler.job(id)?.status == .running)
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        let job = try #require(scheduler.job(id))
        #expect(job.counters.timeouts == 1)
        #expect(job.status == .failed)
        if case .timedOut = job.lastOutcome {} else { Issue.record("outcome \(String(describing: job.lastOutcome))") }
    }

    @Test func finishedJobsBeyondTheRetentionAreForgotten() async throws {
        let clock = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 1, clock: clock, finishedJobRetention: 2))
        scheduler.start()
        var ids: [JobID] = []
        for _ in 0..<5 { ids.append(try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { _ in }) }
        await scheduler.waitUntilIdle()
        #expect(ids.map { scheduler.job($0) != nil } == [false, false, false, true, true])
        let reused = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        #expect(!ids.contains(reused))
        #expect(scheduler.job(reused)?.status == .pending)
        #expect(scheduler.stats.jobs == 3)
    }

    @Test func runServesUntilItsTaskIsCancelledThenStops() async throws {
        let (scheduler, clock) = makeScheduler(start: false)
        let recorder = RunRecorder()
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { context in recorder.record(context) }
        let service = Task { await scheduler.run() }
        while !scheduler.isRunning { await Task.yield() }
        clock.advance(by: .seconds(1))
        await recorder.waitUntil(count: 1)
        service.cancel()
        #expect(await service.value)
        #expect(!scheduler.isRunning)
    }
}
