import Foundation
import KairosPlatform
import KairosTestSupport
import KairosTesting
import Synchronization
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SchedulerEventTests {
    /// `waitUntilIdle` returns only once the scheduler thread has delivered what its pass
    /// reported: a pass that fires nothing (dates missed under `.skip`) leaves nothing running to
    /// wait for, and its `missed` event is delivered after the thread releases its lock. The
    /// test waits while that delivery is under way (the handler takes a few milliseconds).
    @Test func waitUntilIdleWaitsForThePassesEventsToBeDelivered() async throws {
        let (scheduler, clock) = makeScheduler(misfire: .skip, start: false)
        let delivering = LockedState(false)
        let missed = LockedState(0)
        scheduler.onEvent { event in
            guard event.kind == .missed else { return }
            delivering.withLock { $0 = true }
            Thread.sleep(forTimeInterval: 0.005)
            missed.withLock { $0 += 1 }
        }
        try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(10), startingAt: clock.now.date.addingTimeInterval(10))) { _ in }
        clock.advance(by: .seconds(55))
        scheduler.start()
        await eventually("the missed event's delivery to start") { delivering.withLock { $0 } }
        await scheduler.waitUntilIdle()
        #expect(missed.withLock { $0 } == 1)
    }

    @Test func eventStreamReportsTheLifeOfAJob() async throws {
        let (scheduler, clock) = makeScheduler()
        let stream = scheduler.events
        let id = try scheduler.schedule(name: "two", trigger: try IntervalTrigger(every: .seconds(5), repeatCount: 2)) { context in
            if scheduler.job(context.jobID)?.runCount == 1 {
                throw TestFailure(message: "second")
            }
        }
        await stepThroughFires(of: id, scheduler: scheduler, clock: clock, limit: 5)
        var kinds: [SchedulerEvent.Kind] = []
        for await event in stream {
            #expect(event.jobID == id)
            #expect(event.jobName == "two")
            kinds.append(event.kind)
            if event.kind == .completed { break }
        }
        #expect(kinds == [.scheduled, .fired, .started, .succeeded, .fired, .started, .failed, .completed])
    }

    @Test func handlersSeeFailuresWithTheErrorAndCanBeRemoved() async throws {
        let (scheduler, clock) = makeScheduler()
        let seen = LockedState<[(SchedulerEvent.Kind, String?)]>([])
        let token = scheduler.onEvent { event in
            guard event.kind == .failed || event.kind == .succeeded else { return }
            seen.withLock { $0.append((event.kind, (event.error as? TestFailure)?.message)) }
        }
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { _ in throw TestFailure(message: "x") }
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        scheduler.removeEventHandler(token)
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { _ in }
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        let events = seen.withLock { $0 }
        #expect(events.count == 1)
        #expect(events.first?.0 == .failed)
        #expect(events.first?.1 == "x")
    }

    @Test func missedAndSkippedFiresAreReportedWithCounts() async throws {
        let (scheduler, clock) = makeScheduler(start: false)
        let missed = LockedState<[Int]>([])
        scheduler.onEvent { event in if event.kind == .missed { missed.withLock { $0.append(event.count) } } }
        try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(1), startingAt: clock.now.date.addingTimeInterval(1))) { _ in }
        clock.advance(by: .seconds(10))
        scheduler.start()
        await scheduler.waitUntilIdle()
        #expect(missed.withLock { $0 } == [9])
    }
}

@Suite(.timeLimit(.minutes(1))) struct SchedulerPersistenceHookTests {
    @Test func observerSeesEveryStateChangeInVersionOrder() async throws {
        let (scheduler, clock) = makeScheduler()
        let changes = LockedState<[JobStateChange]>([])
        scheduler.observeStateChanges { change in changes.withLock { $0.append(change) } }
        let id = try scheduler.schedule(name: "observed", trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { _ in 7 }
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        let recorded = changes.withLock { $0 }
        #expect(recorded.map(\.kind) == [.scheduled, .fired, .succeeded, .completed])
        #expect(recorded.allSatisfy { $0.snapshot.id == id })
        #expect(recorded.map(\.snapshot.version) == recorded.map(\.snapshot.version).sorted())
        #expect(recorded[2].outcome?.value as? Int == 7)
        #expect(recorded[3].snapshot.status == .completed)
    }

    @Test func restoredJobKeepsItsIDCountersAndCatchesUpWhatWasMissed() async throws {
        let (scheduler, clock) = makeScheduler(start: false)
        let recorder = RunRecorder()
        let anchor = clock.now.date.addingTimeInterval(-3600)
        let id = JobID(rawValue: 77)
        try scheduler.schedule(
            id: id, name: "restored",
            trigger: try IntervalTrigger(every: .seconds(600), startingAt: anchor),
            restoring: RestoredJobState(counters: JobCounters(runs: 3, failures: 1), lastDueDate: anchor.addingTimeInterval(1200))
        ) { context in
            recorder.record(context)
            return ()
        }
        #expect(throws: SchedulerError.duplicateJobID(id)) {
            try scheduler.schedule(id: id, name: "again", trigger: ManualTrigger()) { _ in () }
        }
        scheduler.start()
        await scheduler.waitUntilIdle()
        // Due dates 1800, 2400, 3000 and 3600 s after the anchor passed while down: runLatest.
        #expect(recorder.dueDates == [anchor.addingTimeInterval(3600)])
        #expect(recorder.idempotencyKeys == ["77@2026-01-01T00:00:00Z"])
        let job = try #require(scheduler.job(id))
        #expect(job.counters.runs == 4)
        #expect(job.counters.failures == 1)
        #expect(job.counters.missed == 3)
        // Generated IDs never collide with explicit ones.
        let generated = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        #expect(generated != id)
        #expect(scheduler.job(generated)?.status == .pending)
    }

    @Test func restoredPausedJobStaysPaused() async throws {
        let (scheduler, clock) = makeScheduler()
        let id = try scheduler.schedule(
            id: JobID(rawValue: 5), name: "p", trigger: try IntervalTrigger(every: .seconds(1)),
            restoring: RestoredJobState(isPaused: true)
        ) { _ in () }
        clock.advance(by: .seconds(10))
        await scheduler.waitUntilIdle()
        #expect(scheduler.job(id)?.status == .paused)
        #expect(scheduler.job(id)?.runCount == 0)
    }
}
