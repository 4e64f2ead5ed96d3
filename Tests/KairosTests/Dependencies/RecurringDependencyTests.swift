import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct RecurringDependencyTests {
    @Test func eachDAGRunIsTheRootsDueDateAndDependentsSeeIt() async throws {
        let (dag, clock) = makeDAG()
        let dues = Recorder<(String, Date)>()
        let trigger = try IntervalTrigger(every: .seconds(3600), startingAt: dagDate(3600), repeatCount: 2)
        let extract = try dag.schedule(name: "extract", trigger: trigger) { context in dues.append(("extract", context.dueDate)) }
        let keys = Recorder<String>()
        let load = try dag.schedule(name: "load", dependsOn: [extract]) { context in
            dues.append(("load", context.dueDate))
            keys.append("\(context.idempotencyKey) attempt \(context.attempt)")
        }
        for hour in [1.0, 2] {
            clock.advance(to: dagDate(hour * 3600))
            let run = try #require(await dag.waitForDAGRun(at: dagDate(hour * 3600)))
            #expect(run.states == [extract: .succeeded, load: .succeeded])
        }
        #expect(dues.all.filter { $0.0 == "load" }.map(\.1) == [dagDate(3600), dagDate(7200)])
        #expect(keys.all == ["\(load)@2026-01-01T01:00:00Z attempt 1", "\(load)@2026-01-01T02:00:00Z attempt 1"])
        #expect(dag.runs(of: load).map(\.dueDate) == [dagDate(3600), dagDate(7200)])
    }

    @Test func dependentWaitsForEveryRootDueAtTheSameDate() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let trigger = try IntervalTrigger(every: .seconds(60), startingAt: dagDate(60), repeatCount: 1)
        let fast = try dag.schedule(name: "fast", trigger: trigger, timeline.body("fast", clock: clock))
        let slow = try dag.schedule(name: "slow", trigger: trigger, timeline.body("slow", clock: clock, sleep: 30))
        let join = try dag.schedule(name: "join", dependsOn: [fast, slow], timeline.body("join", clock: clock))
        clock.advance(to: dagDate(60))
        await eventually { timeline.entry("fast")?.ended != nil && clock.sleepingTaskCount == 1 }
        #expect(timeline.entry("join") == nil, "join waits for the slow root of the same due date")
        #expect(dag.dagRun(at: dagDate(60))?.states[join] == .waiting)
        clock.advance(to: dagDate(90))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(60)))
        #expect(run.states == [fast: .succeeded, slow: .succeeded, join: .succeeded])
        #expect(timeline.entry("join")?.started == dagDate(90))
    }

    @Test func rootsOnDifferentSchedulesFeedOnlyTheirOwnDAGRuns() async throws {
        let (dag, clock) = makeDAG()
        let hourly = try dag.schedule(name: "hourly", trigger: try IntervalTrigger(every: .seconds(3600), startingAt: dagDate(3600))) { _ in }
        let daily = try dag.schedule(name: "daily", trigger: OnceTrigger(at: dagDate(7200))) { _ in }
        let report = try dag.schedule(name: "report", dependsOn: [hourly, daily]) { _ in }
        clock.advance(to: dagDate(3600))
        let first = try #require(await dag.waitForDAGRun(at: dagDate(3600)))
        #expect(first.states == [hourly: .succeeded, report: .succeeded], "daily does not fire at 01:00")
        clock.advance(to: dagDate(7200))
        let second = try #require(await dag.waitForDAGRun(at: dagDate(7200)))
        #expect(second.states == [hourly: .succeeded, daily: .succeeded, report: .succeeded])
    }

    @Test func dependsOnPastWaitsForThePreviousRunToFinish() async throws {
        let (dag, clock) = makeDAG()
        let tick = try dag.schedule(name: "tick", trigger: try IntervalTrigger(every: .seconds(10), startingAt: dagDate(10), repeatCount: 2)) { _ in }
        let ordered = Recorder<Date>()
        let slow = try dag.schedule(name: "slow", dependsOn: [tick], options: .init(dependsOnPast: true)) { context in
            ordered.append(context.dueDate)
            try await clock.sleep(until: clock.now.date.addingTimeInterval(15))
        }
        clock.advance(to: dagDate(10))
        await eventually { clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(20))  // the second DAG run starts while the first `slow` runs
        await eventually { dag.dagRun(at: dagDate(20))?.states[tick] == .succeeded }
        #expect(dag.dagRun(at: dagDate(20))?.states[slow] == .waiting)
        #expect(ordered.all == [dagDate(10)])
        clock.advance(to: dagDate(25))
        await eventually { ordered.count == 2 && clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(40))
        _ = await dag.waitForDAGRun(at: dagDate(20))
        #expect(ordered.all == [dagDate(10), dagDate(20)])
        #expect(dag.runs(of: slow).map(\.state) == [.succeeded, .succeeded])
    }

    /// A root comes due again while its previous fire has not been handled (the trigger's run
    /// for it still waits for the only executor slot). The fire used to be dropped by the default
    /// overlap policy (`skip`): that DAG run never happened and a wait for it hung (seen under
    /// load in `dependsOnPastSkipsRunsAfterAFailure`). It is queued instead.
    @Test func aRootFireDueBeforeThePreviousWasHandledStillStartsItsDAGRun() async throws {
        let (dag, clock) = makeDAG(maxConcurrentJobs: 1)
        let gate = Gate()
        let started = Recorder<Date>()
        let blocker = try dag.schedule(name: "blocker", trigger: OnceTrigger(at: dagDate(5))) { context in
            started.append(context.dueDate)
            await gate.wait()
        }
        let tick = try dag.schedule(name: "tick", trigger: try IntervalTrigger(every: .seconds(10), startingAt: dagDate(10), repeatCount: 2)) { _ in }
        clock.advance(to: dagDate(5))
        await eventually("the blocker holds the only slot") { started.count == 1 }
        clock.advance(to: dagDate(10))
        await eventually("the trigger's fire for 00:10 waits for the slot") { dag.scheduler.stats.activeRuns == 2 }
        clock.advance(to: dagDate(20))
        await eventually("the fire for 00:20 was handled") { dag.scheduler.stats.queuedJobs == 0 }
        try #require(dag.scheduler.stats.totals.overlapSkipped == 0, "the fire for 00:20 was dropped")
        gate.open()
        #expect(await dag.waitForDAGRun(at: dagDate(5))?.states == [blocker: .succeeded])
        #expect(await dag.waitForDAGRun(at: dagDate(10))?.states == [tick: .succeeded])
        #expect(await dag.waitForDAGRun(at: dagDate(20))?.states == [tick: .succeeded])
    }

    @Test func dependsOnPastSkipsRunsAfterAFailure() async throws {
        let (dag, clock) = makeDAG()
        let tick = try dag.schedule(name: "tick", trigger: try IntervalTrigger(every: .seconds(10), startingAt: dagDate(10), repeatCount: 3)) { _ in }
        let attempts = Recorder<Date>()
        let strict = try dag.schedule(name: "strict", dependsOn: [tick], options: .init(dependsOnPast: true)) { context in
            attempts.append(context.dueDate)
            if context.dueDate == dagDate(10) { throw TestFailure("first run fails") }
        }
        let free = try dag.schedule(name: "free", dependsOn: [tick]) { _ in }
        for seconds in [10.0, 20, 30] {
            clock.advance(to: dagDate(seconds))
            _ = await dag.waitForDAGRun(at: dagDate(seconds))
        }
        #expect(attempts.all == [dagDate(10)])
        #expect(dag.runs(of: strict).map(\.state) == [.failed, .skipped, .skipped])
        #expect(dag.runs(of: free).map(\.state) == [.succeeded, .succeeded, .succeeded])
    }

    /// A root added later with the date of a finished DAG run starts a second DAG run for that
    /// date, which must not wait for the root that already fired for it.
    @Test func aSecondDAGRunForADateDoesNotWaitForARootThatAlreadyFiredForIt() async throws {
        let (dag, clock) = makeDAG()
        let early = try dag.schedule(name: "early", trigger: OnceTrigger(at: dagDate(60))) { _ in }
        clock.advance(to: dagDate(60))
        #expect(try #require(await dag.waitForDAGRun(at: dagDate(60))).states == [early: .succeeded])
        let late = try dag.schedule(name: "late", trigger: OnceTrigger(at: dagDate(60))) { _ in }
        await eventually("the second DAG run for the date finished") {
            dag.dagRun(at: dagDate(60))?.states == [late: .succeeded]
        }
        #expect(dag.activeDAGRuns.isEmpty)
    }

    /// A DAG run starts from what the graph was when it started: jobs and roots added, edges
    /// changed and jobs removed between two DAG runs all show in the next one.
    @Test func graphChangesBetweenDAGRunsShowInTheNextOne() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: IntervalTrigger(every: .seconds(10)), timeline.body("root", clock: clock))
        let a = try dag.schedule(name: "a", dependsOn: [root], timeline.body("a", clock: clock))
        clock.advance(to: dagDate(10))
        #expect(try #require(await dag.waitForDAGRun(at: dagDate(10))).states == [root: .succeeded, a: .succeeded])

        let b = try dag.schedule(name: "b", dependsOn: [a], timeline.body("b", clock: clock, fail: true))
        let c = try dag.schedule(name: "c", dependsOn: [root], options: .init(triggerRule: .allFailed), timeline.body("c", clock: clock))
        clock.advance(to: dagDate(20))
        #expect(try #require(await dag.waitForDAGRun(at: dagDate(20))).states == [root: .succeeded, a: .succeeded, b: .failed, c: .skipped])

        try dag.setUpstream(c, to: [b])
        let second = try dag.schedule(name: "second", trigger: IntervalTrigger(every: .seconds(10)), timeline.body("second", clock: clock))
        let d = try dag.schedule(name: "d", dependsOn: [second], timeline.body("d", clock: clock))
        clock.advance(to: dagDate(30))
        let third = try #require(await dag.waitForDAGRun(at: dagDate(30)))
        #expect(third.states == [root: .succeeded, a: .succeeded, b: .failed, c: .succeeded, second: .succeeded, d: .succeeded])

        try dag.remove(d)
        clock.advance(to: dagDate(40))
        let fourth = try #require(await dag.waitForDAGRun(at: dagDate(40)))
        #expect(fourth.states == [root: .succeeded, a: .succeeded, b: .failed, c: .succeeded, second: .succeeded])
    }
}
