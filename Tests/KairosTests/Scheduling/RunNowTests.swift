import Foundation
import KairosPlatform
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct RunNowTests {
    /// Suspends until the scheduler reports `kind` for `id` on `events` (a stream taken before the
    /// awaited thing can happen).
    private func waitFor(_ kind: SchedulerEvent.Kind, of id: JobID, on events: AsyncStream<SchedulerEvent>) async {
        for await event in events where event.kind == kind && event.jobID == id { return }
    }

    /// A job that holds the only executor slot until `gate` opens; returns once it runs.
    private func occupyTheOnlySlot(_ scheduler: Scheduler, until gate: Gate) async throws -> JobID {
        let events = scheduler.events
        let blocker = try scheduler.schedule(name: "blocker", trigger: ManualTrigger()) { _ async in await gate.wait() }
        try scheduler.runNow(blocker) { _ in }
        await waitFor(.started, of: blocker, on: events)
        return blocker
    }

    // MARK: - Runs waiting on runs

    @Test func aJobAwaitingAnotherJobsRunNowFinishesWithOneSlot() async throws {
        let (scheduler, _) = makeScheduler(maxConcurrentJobs: 1)
        let b = try scheduler.schedule(trigger: ManualTrigger()) { _ in "b" }
        let a = try scheduler.schedule(trigger: ManualTrigger()) { _ in try await scheduler.runNow(b) as! String }
        let value = try await scheduler.runNow(a)
        #expect(value as? String == "b")
        #expect(scheduler.job(a)?.runCount == 1)
        #expect(scheduler.job(b)?.runCount == 1)
    }

    @Test func asManyJobsAsSlotsEachAwaitingAnotherJobsRunNowFinish() async throws {
        let slots = 2
        let (scheduler, _) = makeScheduler(maxConcurrentJobs: slots)
        let bothStarted = Gate()
        let started = LockedState(0)
        var callers: [JobID] = []
        for index in 0..<slots {
            let callee = try scheduler.schedule(name: "callee \(index)", trigger: ManualTrigger()) { _ in index }
            callers.append(
                try scheduler.schedule(name: "caller \(index)", trigger: ManualTrigger()) { _ async throws -> Int in
                    // Every slot is taken before any caller asks for its callee's run.
                    if started.withLock({
                        $0 += 1; return $0
                    }) == slots {
                        bothStarted.open()
                    }
                    await bothStarted.wait()
                    return try await scheduler.runNow(callee, as: Int.self)
                })
        }
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in callers { group.addTask { try await scheduler.runNow(caller, as: Int.self) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == Array(0..<slots))
    }

    @Test func aChainOfRunsDeeperThanTheLimitFinishes() async throws {
        let (scheduler, _) = makeScheduler(maxConcurrentJobs: 2)
        let depth = 6
        var next = try scheduler.schedule(name: "leaf", trigger: ManualTrigger()) { _ in 1 }
        var chain = [next]
        for level in 1..<depth {
            let callee = next
            next = try scheduler.schedule(name: "level \(level)", trigger: ManualTrigger()) { _ async throws -> Int in
                try await scheduler.runNow(callee, as: Int.self) + 1
            }
            chain.append(next)
        }
        #expect(try await scheduler.runNow(next, as: Int.self) == depth)
        for id in chain { #expect(scheduler.job(id)?.runCount == 1) }
        await scheduler.waitUntilIdle()
        #expect(scheduler.stats.executingRuns == 0)
    }

    @Test func runsFromOutsideAJobStillWaitForASlot() async throws {
        let (scheduler, _) = makeScheduler(maxConcurrentJobs: 1)
        let gate = Gate()
        _ = try await occupyTheOnlySlot(scheduler, until: gate)
        let events = scheduler.events
        let waiting = try scheduler.schedule(name: "waiting", trigger: ManualTrigger()) { _ in }
        let caller = Task { try await scheduler.runNow(waiting) }
        await waitFor(.fired, of: waiting, on: events)
        #expect(scheduler.stats.executingRuns == 1)
        #expect(scheduler.job(waiting)?.runCount == 0)
        gate.open()
        _ = try await caller.value
        #expect(scheduler.job(waiting)?.runCount == 1)
    }

    // MARK: - Cancelling the caller

    @Test func cancellingACallerWhoseRunWaitsForASlotWithdrawsTheRun() async throws {
        let (scheduler, _) = makeScheduler(maxConcurrentJobs: 1)
        let gate = Gate()
        let blocker = try await occupyTheOnlySlot(scheduler, until: gate)
        let bodyCalls = LockedState(0)
        let waiting = try scheduler.schedule(name: "waiting", trigger: ManualTrigger(), options: JobOptions(maxRuns: 1)) { _ in
            bodyCalls.withLock { $0 += 1 }
        }
        let events = scheduler.events
        let caller = Task { try await scheduler.runNow(waiting) }
        await waitFor(.fired, of: waiting, on: events)
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        // Withdrawn at once, while the slot is still taken: no run, nothing in flight.
        let snapshot = try #require(scheduler.job(waiting))
        #expect(snapshot.runCount == 0 && snapshot.activeRuns == 0 && snapshot.status == .pending)
        #expect(snapshot.lastOutcome == nil)
        gate.open()
        await scheduler.waitUntilIdle()
        #expect(bodyCalls.withLock { $0 } == 0)
        #expect(scheduler.job(blocker)?.runCount == 1)
        #expect(scheduler.stats.totals.runs == 1)
        // The withdrawn run used none of `maxRuns`.
        try await scheduler.runNow(waiting)
        #expect(bodyCalls.withLock { $0 } == 1)
        #expect(scheduler.job(waiting)?.status == .completed)
    }

    @Test func cancellingACallerWhoseRunHasStartedCancelsTheRun() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1)
        let id = try scheduler.schedule(name: "long", trigger: ManualTrigger()) { _ async throws in
            try await clock.sleep(until: .distantFuture)
        }
        let events = scheduler.events
        let caller = Task { try await scheduler.runNow(id) }
        await waitFor(.started, of: id, on: events)
        caller.cancel()
        await #expect(throws: SchedulerError.runCancelled(id)) { try await caller.value }
        let snapshot = try #require(scheduler.job(id))
        #expect(snapshot.runCount == 1 && snapshot.activeRuns == 0)
        #expect(snapshot.lastOutcome.map { if case .cancelled = $0 { true } else { false } } == true)
    }

    @Test func aCallerCancelledBeforeTheCallRunsNothing() async throws {
        let (scheduler, _) = makeScheduler()
        let id = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        let gate = Gate()
        let caller = Task {
            await gate.wait()
            return try await scheduler.runNow(id)
        }
        caller.cancel()
        gate.open()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(scheduler.job(id)?.runCount == 0)
        #expect(scheduler.stats.activeRuns == 0)
    }

    // MARK: - Runs cancelled before they start

    @Test func aScheduledRunCancelledWhileWaitingForASlotIsNoRun() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1)
        let gate = Gate()
        let blocker = try await occupyTheOnlySlot(scheduler, until: gate)
        let events = scheduler.events
        let waiting = try scheduler.schedule(name: "waiting", trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { _ in }
        clock.advance(by: .seconds(1))
        await waitFor(.fired, of: waiting, on: events)
        scheduler.cancel(waiting)
        #expect(scheduler.job(waiting)?.activeRuns == 0)
        gate.open()
        await scheduler.waitUntilIdle()
        let snapshot = try #require(scheduler.job(waiting))
        #expect(snapshot.status == .cancelled)
        #expect(snapshot.runCount == 0 && snapshot.counters == JobCounters())
        #expect(scheduler.job(blocker)?.runCount == 1)
        #expect(scheduler.stats.totals.runs == 1)
    }

    @Test func aRunWithdrawnByAStopGivesBackItsPlaceUnderMaxRuns() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1)
        let gate = Gate()
        _ = try await occupyTheOnlySlot(scheduler, until: gate)
        let events = scheduler.events
        let start = clock.now.date.addingTimeInterval(10)
        let job = try scheduler.schedule(
            name: "once", trigger: try IntervalTrigger(every: .seconds(10), startingAt: start),
            options: JobOptions(maxRuns: 1)
        ) { _ in }
        clock.advance(to: start)
        await waitFor(.fired, of: job, on: events)
        #expect(scheduler.job(job)?.nextFireDate == nil)  // maxRuns reached by the waiting run
        let sleepers = clock.sleepingTaskCount
        let stopping = Task { await scheduler.stop(timeout: .seconds(1)) }
        while clock.sleepingTaskCount == sleepers { await Task.yield() }
        clock.advance(by: .seconds(1))
        await waitFor(.runCancelled, of: job, on: events)
        let snapshot = try #require(scheduler.job(job))
        #expect(snapshot.status == .pending && snapshot.runCount == 0)
        #expect(snapshot.nextFireDate == start.addingTimeInterval(10))
        gate.open()
        #expect(await stopping.value == false)
    }

    // MARK: - maxRuns

    @Test func runNowIsRefusedOnceMaxRunsAreUsed() async throws {
        let (scheduler, _) = makeScheduler()
        let id = try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(maxRuns: 1)) { _ in 7 }
        #expect(try await scheduler.runNow(id, as: Int.self) == 7)
        await #expect(throws: SchedulerError.maxRunsReached(id, maxRuns: 1)) { try await scheduler.runNow(id) }
        let snapshot = try #require(scheduler.job(id))
        #expect(snapshot.runCount == 1 && snapshot.status == .completed)
        #expect(scheduler.stats.totals.runs == 1)
        #expect(SchedulerError.maxRunsReached(id, maxRuns: 1).description == "job \(id) has already fired the 1 run its maxRuns allows")
    }

    @Test func runNowCountsRunsInFlightTowardsMaxRuns() async throws {
        let (scheduler, _) = makeScheduler()
        let gate = Gate()
        let id = try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(maxRuns: 1)) { _ async in await gate.wait() }
        let events = scheduler.events
        let first = Task { try await scheduler.runNow(id) }
        await waitFor(.fired, of: id, on: events)
        await #expect(throws: SchedulerError.maxRunsReached(id, maxRuns: 1)) { try await scheduler.runNow(id) }
        gate.open()
        _ = try await first.value
        #expect(scheduler.job(id)?.runCount == 1)
    }

    // MARK: - Typed results

    @Test func typedRunNowReturnsTheBodysTypeOrSaysWhichTypeItGot() async throws {
        let (scheduler, _) = makeScheduler()
        let answer = try scheduler.schedule(trigger: ManualTrigger()) { _ in 42 }
        let nothing = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        let value: Int = try await scheduler.runNow(answer, as: Int.self)
        #expect(value == 42)
        try await scheduler.runNow(nothing, as: Void.self)
        await #expect(throws: SchedulerError.resultTypeMismatch(answer, expected: "Swift.String", actual: "Swift.Int")) {
            try await scheduler.runNow(answer, as: String.self)
        }
        #expect(scheduler.job(answer)?.runCount == 2)
    }
}
