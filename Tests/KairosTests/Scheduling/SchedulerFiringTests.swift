import Foundation
import KairosPlatform
import KairosTestSupport
import KairosTesting
import Synchronization
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SchedulerFiringTests {
    @Test func intervalJobFiresAtEachAnchoredDateEvenWhenTheClockOvershoots() async throws {
        let (scheduler, clock) = makeScheduler()
        let start = clock.now.date
        let recorder = RunRecorder()
        let trigger = try IntervalTrigger(every: .seconds(60), startingAt: start.addingTimeInterval(60))
        let id = try scheduler.schedule(name: "tick", trigger: trigger) { context in recorder.record(context) }
        for step in 1...5 {
            clock.advance(to: start.addingTimeInterval(Double(step) * 60 + 0.5))  // a little late each time
            await scheduler.waitUntilIdle()
        }
        #expect(recorder.dueDates == (1...5).map { start.addingTimeInterval(Double($0) * 60) })
        #expect(scheduler.job(id)?.nextFireDate == start.addingTimeInterval(360))
        #expect(scheduler.job(id)?.runCount == 5)
    }

    @Test func cronJobFiresAcrossSpringForwardAndMonthEnd() async throws {
        let (scheduler, clock) = makeScheduler(at: utcDate("2026-02-27T00:00:00Z"))
        let recorder = RunRecorder()
        let newYork = TimeZone(identifier: "America/New_York")!
        let id = try scheduler.schedule(name: "cron", trigger: try CronTrigger("30 2 28-31,1,8 * *", timeZone: newYork)) { context in
            recorder.record(context)
        }
        await stepThroughFires(of: id, scheduler: scheduler, clock: clock, limit: 5)
        #expect(
            recorder.dueDates == [
                utcDate("2026-02-28T07:30:00Z"),  // last day of February
                utcDate("2026-03-01T07:30:00Z"),
                utcDate("2026-03-08T07:00:00Z"),  // 02:30 skipped by DST: 03:00 EDT
                utcDate("2026-03-28T06:30:00Z"),
                utcDate("2026-03-29T06:30:00Z"),
            ])
    }

    @Test func cronJobFiresOnceInTheRepeatedHour() async throws {
        let (scheduler, clock) = makeScheduler(at: utcDate("2026-10-31T12:00:00Z"))
        let recorder = RunRecorder()
        let newYork = TimeZone(identifier: "America/New_York")!
        let id = try scheduler.schedule(trigger: try CronTrigger("30 1 * * *", timeZone: newYork)) { context in recorder.record(context) }
        await stepThroughFires(of: id, scheduler: scheduler, clock: clock, limit: 2)
        #expect(recorder.dueDates == [utcDate("2026-11-01T05:30:00Z"), utcDate("2026-11-02T06:30:00Z")])
    }

    @Test func maxRunsCompletesTheJob() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(10)), options: JobOptions(maxRuns: 3)) { context in
            recorder.record(context)
        }
        #expect(try scheduler.nextFireDates(of: id, count: 10).count == 3)
        await stepThroughFires(of: id, scheduler: scheduler, clock: clock, limit: 10)
        #expect(recorder.count == 3)
        let job = try #require(scheduler.job(id))
        #expect(job.status == .completed)
        #expect(job.nextFireDate == nil)
        #expect(scheduler.jobs(status: .completed).map(\.id) == [id])
    }

    @Test func exhaustedTriggerCompletesTheJobAndALastFailureMarksItFailed() async throws {
        let (scheduler, clock) = makeScheduler()
        let start = clock.now.date
        let ok = try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(1), startingAt: start.addingTimeInterval(1), repeatCount: 2)) { _ in }
        let bad = try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(1))) { _ in throw TestFailure(message: "boom") }
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        #expect(scheduler.job(ok)?.status == .completed)
        #expect(scheduler.job(bad)?.status == .failed)
    }

    @Test func aThrowingJobIsRecordedAndTheSchedulerCarriesOn() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let failing = try scheduler.schedule(name: "failing", trigger: try IntervalTrigger(every: .seconds(5))) { context in
            throw TestFailure(message: "failed at \(context.dueDate)")
        }
        let healthy = try scheduler.schedule(name: "healthy", trigger: try IntervalTrigger(every: .seconds(5))) { context in
            recorder.record(context)
        }
        await stepThroughFires(of: healthy, scheduler: scheduler, clock: clock, limit: 3)
        let job = try #require(scheduler.job(failing))
        #expect(job.counters.failures == 3)
        #expect(job.counters.runs == 3)
        #expect(job.status == .pending)
        #expect((job.lastError as? TestFailure)?.message.hasPrefix("failed at") == true)
        #expect(recorder.count == 3)
        #expect(scheduler.stats.totals.failures == 3)
    }

    @Test func higherPriorityStartsFirstAtTheSameDueDate() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1)
        let order = LockedState<[String]>([])
        let due = clock.now.date.addingTimeInterval(5)
        for (name, priority) in [("low", -1), ("normal", 0), ("high", 10)] {
            try scheduler.schedule(name: name, trigger: OnceTrigger(at: due), options: JobOptions(priority: priority)) { context in
                order.withLock { $0.append(context.name) }
            }
        }
        clock.advance(to: due)
        await scheduler.waitUntilIdle()
        #expect(order.withLock { $0 } == ["high", "normal", "low"])
    }

    @Test func jitterDelaysTheStartButNotTheDueDate() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let due = clock.now.date.addingTimeInterval(60)
        let trigger = try OnceTrigger(at: due).jittered(upTo: .seconds(30))
        let id = try scheduler.schedule(trigger: trigger) { context in recorder.record(context) }
        let delay = trigger.delay(for: id, dueDate: due)
        clock.advance(to: due)
        await scheduler.waitUntilIdle()
        #expect(recorder.count == (delay == .zero ? 1 : 0))
        clock.advance(to: due.addingTimeInterval(delay.timeInterval))
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [due])
    }

    @Test func contextCarriesIdentityDueDateAndIdempotencyKey() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let due = utcDate("2026-03-08T07:00:00Z")
        let id = try scheduler.schedule(name: "invoice", trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        clock.advance(to: due)
        await scheduler.waitUntilIdle()
        #expect(recorder.idempotencyKeys == ["\(id)@2026-03-08T07:00:00Z"])
        let fractional = utcDate("2026-03-08T07:00:00Z").addingTimeInterval(0.25)
        let second = try scheduler.schedule(trigger: OnceTrigger(at: fractional)) { context in recorder.record(context) }
        clock.advance(to: fractional)
        await scheduler.waitUntilIdle()
        #expect(recorder.idempotencyKeys.last == "\(second)@2026-03-08T07:00:00.250Z")
    }

    @Test func runOnStartRunsOnceWhenTheSchedulerStarts() async throws {
        let (scheduler, clock) = makeScheduler(start: false)
        let recorder = RunRecorder()
        try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(3600)), options: JobOptions(runOnStart: true)) { context in
            recorder.record(context)
        }
        scheduler.start()
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [clock.now.date])
    }

    @Test func eventTriggeredJobRunsWithThePayloadOfEachPost() async throws {
        let (scheduler, _) = makeScheduler()
        let recorder = RunRecorder()
        let id = try scheduler.schedule(name: "reindex", trigger: SignalTrigger(key: "catalog.changed")) { context in
            recorder.record(context)
        }
        let reached = scheduler.send(signal: "catalog.changed", payload: ["sku": "A-17"])
        #expect(reached == [SignalWaiter(kind: .job, id: id.description, name: "reindex")])
        await scheduler.waitUntilIdle()
        scheduler.send(signal: "catalog.changed", payload: ["sku": "B-2"])
        await scheduler.waitUntilIdle()
        #expect(scheduler.send(signal: "unrelated") == [])
        #expect(recorder.payloads == [["sku": "A-17"], ["sku": "B-2"]])
        #expect(scheduler.job(id)?.status == .pending)
        scheduler.cancel(id)
        #expect(scheduler.send(signal: "catalog.changed") == [])
    }

    @Test func manualJobRunsOnlyWhenAskedAndReturnsItsResult() async throws {
        let (scheduler, clock) = makeScheduler()
        let id = try scheduler.schedule(name: "answer", trigger: ManualTrigger()) { _ in 42 }
        clock.advance(by: .seconds(86_400))
        await scheduler.waitUntilIdle()
        #expect(scheduler.job(id)?.runCount == 0)
        let value = try await scheduler.runNow(id)
        #expect(value as? Int == 42)
        #expect(scheduler.job(id)?.lastResult as? Int == 42)
        #expect(scheduler.job(id)?.status == .pending)
    }

    @Test func runNowThrowsTheBodyError() async throws {
        let (scheduler, _) = makeScheduler()
        let id = try scheduler.schedule(trigger: ManualTrigger()) { _ async throws -> Int in throw TestFailure(message: "nope") }
        await #expect(throws: TestFailure(message: "nope")) { try await scheduler.runNow(id) }
        await #expect(throws: SchedulerError.jobNotFound(JobID(rawValue: 999))) { try await scheduler.runNow(JobID(rawValue: 999)) }
    }

    @Test func invalidOptionsAreRejectedWithTheirName() {
        let (scheduler, _) = makeScheduler()
        #expect(throws: SchedulerError.invalidOption(option: "maxRuns", reason: "must be at least 1 (got 0)")) {
            try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(maxRuns: 0)) { _ in }
        }
        #expect(throws: SchedulerError.self) {
            try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(overlap: .bufferAll(limit: 0))) { _ in }
        }
        #expect(throws: SchedulerError.self) {
            try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(timeout: .zero)) { _ in }
        }
    }
}
