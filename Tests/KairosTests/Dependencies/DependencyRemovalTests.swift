import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct DependencyRemovalTests {
    @Test func aJobOthersDependOnCannotBeRemoved() throws {
        let (dag, _) = makeDAG()
        let root = try dag.schedule(name: "root", trigger: ManualTrigger()) { _ in }
        let left = try dag.schedule(name: "left", dependsOn: [root]) { _ in }
        let right = try dag.schedule(name: "right", dependsOn: [root]) { _ in }
        #expect(throws: DependencyError.hasDependents(job: "root", dependents: ["left", "right"])) { try dag.remove(root) }
        #expect(dag.downstream(of: root) == [left, right], "a refused removal changes nothing")
        #expect(try dag.remove(left))
        #expect(dag.downstream(of: root) == [right])
        #expect(try dag.remove(left) == false, "already removed")
        #expect(!dag.contains(left) && dag.contains(right))
    }

    @Test func aWaitingJobRemovedLeavesItsDAGRunWhichFinishesWithoutIt() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(60)), timeline.body("root", clock: clock))
        let slow = try dag.schedule(name: "slow", dependsOn: [root], timeline.body("slow", clock: clock, sleep: 30))
        let last = try dag.schedule(name: "last", dependsOn: [slow], timeline.body("last", clock: clock))
        clock.advance(to: dagDate(60))
        await eventually("slow sleeps") { clock.sleepingTaskCount == 1 }
        #expect(dag.dagRun(at: dagDate(60))?.states[last] == .waiting)
        #expect(try dag.remove(last))
        #expect(dag.dagRun(at: dagDate(60))?.states[last] == nil)
        clock.advance(to: dagDate(90))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(60)))
        #expect(run.states == [root: .succeeded, slow: .succeeded])
        #expect(timeline.jobs == ["root", "slow"])
    }

    @Test func aRunningJobRemovedIsCancelledAndItsDAGRunFinishes() async throws {
        let (dag, clock) = makeDAG()
        let root = try dag.schedule(name: "root", trigger: try IntervalTrigger(every: .seconds(60), startingAt: dagDate(60))) { _ in }
        let cancelled = Recorder<Bool>()
        let slow = try dag.schedule(name: "slow", dependsOn: [root]) { _ in
            do {
                try await clock.sleep(until: clock.now.date.addingTimeInterval(3600))
            } catch {
                cancelled.append(true)
                throw error
            }
        }
        clock.advance(to: dagDate(60))
        await eventually("slow sleeps") { clock.sleepingTaskCount == 1 }
        #expect(try dag.remove(slow))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(60)))
        #expect(run.states == [root: .succeeded])
        await eventually("the running attempt saw cancellation") { cancelled.count == 1 }
        #expect(dag.runs(of: slow).isEmpty)

        // Removing a root stops its trigger.
        #expect(try dag.remove(root))
        clock.advance(to: dagDate(120))
        await dag.scheduler.waitUntilIdle()
        #expect(dag.dagRun(at: dagDate(120)) == nil)
    }
}
