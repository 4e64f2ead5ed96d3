import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct DependencySchedulerTests {
    @Test func diamondRunsInTopologicalOrderWithItsBranchesInParallel() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let a = try dag.schedule(name: "a", trigger: OnceTrigger(at: dagDate(10)), timeline.body("a", clock: clock))
        let b = try dag.schedule(name: "b", dependsOn: [a], timeline.body("b", clock: clock, sleep: 5))
        let c = try dag.schedule(name: "c", dependsOn: [a], timeline.body("c", clock: clock, sleep: 5))
        let d = try dag.schedule(name: "d", dependsOn: [b, c], timeline.body("d", clock: clock))
        clock.advance(to: dagDate(10))
        await eventually("b and c sleeping together") { clock.sleepingTaskCount == 2 }
        #expect(timeline.entry("d") == nil)
        clock.advance(to: dagDate(15))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(10)))
        #expect(run.jobs(in: .succeeded) == [a, b, c, d])
        #expect(timeline.jobs.first == "a" && timeline.jobs.last == "d")
        #expect(timeline.entry("b")?.started == dagDate(10) && timeline.entry("c")?.started == dagDate(10))
        #expect(timeline.entry("d")?.started == dagDate(15))
        #expect(timeline.gauge.peak == 2)
        #expect(dag.upstream(of: d) == [b, c] && dag.downstream(of: a) == [b, c])
    }

    @Test func wideDAGRunsIndependentBranchesUpToTheExecutorLimit() async throws {
        let (dag, clock) = makeDAG(maxConcurrentJobs: 4)
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        var branches: [JobID] = []
        for index in 0..<10 {
            branches.append(try dag.schedule(name: "branch-\(index)", dependsOn: [root], timeline.body("branch-\(index)", clock: clock, sleep: 5)))
        }
        let join = try dag.schedule(name: "join", dependsOn: branches, timeline.body("join", clock: clock))
        clock.advance(to: dagDate(1))
        for (batch, size) in [4, 4, 2].enumerated() {
            await eventually("batch \(batch) sleeping") { clock.sleepingTaskCount == size }
            clock.advance(by: .seconds(5))
        }
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.jobs(in: .succeeded).count == 12)
        #expect(timeline.gauge.peak == 4)
        #expect(timeline.entry("join")?.started == dagDate(16))
        let branchStarts = timeline.all.filter { $0.job.hasPrefix("branch") }.map(\.started)
        #expect(branchStarts.allSatisfy { $0 >= timeline.entry("root")!.ended! })
        #expect(dag.runs(of: join).map(\.state) == [.succeeded])
    }

    @Test func failurePropagatesTransitivelyAsUpstreamFailed() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let a = try dag.schedule(name: "a", trigger: OnceTrigger(at: dagDate(1)), timeline.body("a", clock: clock, fail: true))
        let b = try dag.schedule(name: "b", dependsOn: [a], timeline.body("b", clock: clock))
        let c = try dag.schedule(name: "c", dependsOn: [b], timeline.body("c", clock: clock))
        let cleanup = try dag.schedule(name: "cleanup", dependsOn: [c], options: .init(triggerRule: .allDone), timeline.body("cleanup", clock: clock))
        clock.advance(to: dagDate(1))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states == [a: .failed, b: .upstreamFailed, c: .upstreamFailed, cleanup: .succeeded])
        #expect(timeline.jobs == ["a", "cleanup"])
        #expect(dag.runs(of: b) == [DependencyRun(dueDate: dagDate(1), state: .upstreamFailed, attempts: 0)])
    }

    enum Upstream: String, Sendable, CustomStringConvertible {
        case success, failure, skip
        var description: String { rawValue }
    }

    @Test(arguments: [
        (TriggerRule.allSuccess, [Upstream.success, .success], DependencyRunState.succeeded),
        (.allSuccess, [.success, .failure], .upstreamFailed),
        (.allSuccess, [.success, .skip], .skipped),
        (.allFailed, [.failure, .failure], .succeeded),
        (.allFailed, [.success, .failure], .skipped),
        (.allDone, [.success, .failure], .succeeded),
        (.allDone, [.failure, .skip], .succeeded),
        (.oneSuccess, [.success, .failure], .succeeded),
        (.oneSuccess, [.failure, .failure], .upstreamFailed),
        (.oneSuccess, [.skip, .skip], .skipped),
        (.oneFailed, [.success, .failure], .succeeded),
        (.oneFailed, [.success, .success], .skipped),
        (.noneFailed, [.success, .skip], .succeeded),
        (.noneFailed, [.success, .failure], .upstreamFailed),
        (.noneFailedMinOneSuccess, [.success, .skip], .succeeded),
        (.noneFailedMinOneSuccess, [.skip, .skip], .skipped),
        (.noneFailedMinOneSuccess, [.skip, .failure], .upstreamFailed),
        (.always, [.failure, .failure], .succeeded),
    ])
    func triggerRuleDecidesWhetherTheDependentRuns(rule: TriggerRule, upstream: [Upstream], expected: DependencyRunState) async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        var parents: [JobID] = []
        for (index, kind) in upstream.enumerated() {
            let name = "up-\(index)"
            switch kind {
            case .success:
                parents.append(try dag.schedule(name: name, dependsOn: [root], timeline.body(name, clock: clock)))
            case .failure:
                parents.append(try dag.schedule(name: name, dependsOn: [root], timeline.body(name, clock: clock, fail: true)))
            case .skip:  // `allFailed` after a successful root: skipped
                parents.append(try dag.schedule(name: name, dependsOn: [root], options: .init(triggerRule: .allFailed), timeline.body(name, clock: clock)))
            }
        }
        let dependent = try dag.schedule(name: "dependent", dependsOn: parents, options: .init(triggerRule: rule), timeline.body("dependent", clock: clock))
        clock.advance(to: dagDate(1))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states[dependent] == expected)
        #expect(timeline.jobs.contains("dependent") == (expected == .succeeded))
    }

    @Test func oneSuccessRunsWithoutWaitingForTheOtherUpstreams() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        let fast = try dag.schedule(name: "fast", dependsOn: [root], timeline.body("fast", clock: clock))
        let slow = try dag.schedule(name: "slow", dependsOn: [root], timeline.body("slow", clock: clock, sleep: 100))
        try dag.schedule(name: "first", dependsOn: [fast, slow], options: .init(triggerRule: .oneSuccess), timeline.body("first", clock: clock))
        clock.advance(to: dagDate(1))
        await eventually { timeline.entry("first")?.ended != nil && clock.sleepingTaskCount == 1 }
        #expect(timeline.entry("first")?.started == dagDate(1))
        clock.advance(by: .seconds(100))
        _ = await dag.waitForDAGRun(at: dagDate(1))
    }

    @Test func retriesBackOffExponentiallyOnTheClock() async throws {
        let (dag, clock) = makeDAG()
        let attempts = Recorder<(Int, Date)>()
        let retry = try RetryPolicy(maxAttempts: 3, initialDelay: .seconds(2), multiplier: 2)
        let flaky = try dag.schedule(name: "flaky", trigger: OnceTrigger(at: dagDate(1)), options: .init(retry: retry)) { context in
            attempts.append((context.attempt, clock.now.date))
            #expect(context.dueDate == dagDate(1))
            if context.attempt < 3 { throw TestFailure("attempt \(context.attempt)") }
        }
        clock.advance(to: dagDate(1))
        await eventually { attempts.count == 1 && clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(3))
        await eventually { attempts.count == 2 && clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(7))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states[flaky] == .succeeded)
        #expect(attempts.all.map(\.0) == [1, 2, 3])
        #expect(attempts.all.map(\.1) == [dagDate(1), dagDate(3), dagDate(7)])
        #expect(dag.runs(of: flaky).first?.attempts == 3)
    }

    @Test func timeoutCancelsTheRunAndCountsAsAFailure() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let cancelled = Recorder<Bool>()
        let slow = try dag.schedule(name: "slow", trigger: OnceTrigger(at: dagDate(1)), options: .init(timeout: .seconds(5))) { _ in
            do { try await clock.sleep(until: clock.now.date.addingTimeInterval(60)) } catch {
                cancelled.append(true)
                throw error
            }
        }
        let after = try dag.schedule(name: "after", dependsOn: [slow], timeline.body("after", clock: clock))
        clock.advance(to: dagDate(1))
        await eventually { clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(6))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states == [slow: .failed, after: .upstreamFailed])
        #expect(cancelled.all == [true])
    }

    @Test func timedOutAttemptIsRetried() async throws {
        let (dag, clock) = makeDAG()
        let retry = try RetryPolicy(maxAttempts: 2, initialDelay: .seconds(1))
        let cancelled = Recorder<Int>()
        let job = try dag.schedule(
            name: "sometimes-slow", trigger: OnceTrigger(at: dagDate(1)),
            options: .init(retry: retry, timeout: .seconds(5))
        ) { context in
            guard context.attempt == 1 else { return }
            do { try await clock.sleep(until: clock.now.date.addingTimeInterval(60)) } catch {
                cancelled.append(context.attempt)
                throw error
            }
        }
        clock.advance(to: dagDate(1))
        await eventually { clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(6))
        await eventually { cancelled.count == 1 }
        await eventually { clock.sleepingTaskCount == 1 }  // the backoff
        clock.advance(to: dagDate(7))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states[job] == .succeeded)
        #expect(dag.runs(of: job).first?.attempts == 2)
    }

    @Test func stoppedSchedulerHoldsReadyRunsUntilStartedAgain() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let first = try dag.schedule(name: "first", trigger: OnceTrigger(at: dagDate(1)), timeline.body("first", clock: clock, sleep: 5))
        let second = try dag.schedule(name: "second", dependsOn: [first], timeline.body("second", clock: clock))
        clock.advance(to: dagDate(1))
        await eventually { clock.sleepingTaskCount == 1 }
        let stopping = Task { await dag.stop(timeout: .seconds(100)) }
        await eventually { !dag.scheduler.isRunning }
        clock.advance(to: dagDate(6))
        #expect(await stopping.value)
        #expect(dag.dagRun(at: dagDate(1))?.states == [first: .succeeded, second: .running])
        #expect(timeline.entry("second") == nil)
        dag.start()
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states[second] == .succeeded)
    }

    @Test func edgeAddedDuringADAGRunIsHonouredByAJobStillWaiting() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        let slow = try dag.schedule(name: "slow", dependsOn: [root], timeline.body("slow", clock: clock, sleep: 10))
        let gate = try dag.schedule(name: "gate", dependsOn: [root], timeline.body("gate", clock: clock, sleep: 20))
        let last = try dag.schedule(name: "last", dependsOn: [gate], timeline.body("last", clock: clock))
        clock.advance(to: dagDate(1))
        await eventually { clock.sleepingTaskCount == 2 }
        try dag.addDependency(last, dependsOn: slow)
        #expect(dag.upstream(of: last) == [gate, slow])
        clock.advance(to: dagDate(11))
        await eventually { timeline.entry("slow")?.ended != nil && clock.sleepingTaskCount == 1 }
        clock.advance(to: dagDate(21))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.jobs(in: .succeeded) == [root, slow, gate, last])
        #expect(timeline.entry("last")?.started == dagDate(21))
    }

    @Test func synchronousBodiesRunOutsideTasksInTopologicalOrder() async throws {
        let (dag, clock) = makeDAG()
        let ran = Recorder<(String, Bool)>()
        func body(_ name: String, fail: Bool = false) -> @Sendable (JobContext) throws -> Void {
            { _ in
                ran.append((name, withUnsafeCurrentTask { $0 != nil }))
                if fail { throw TestFailure("\(name) failed") }
            }
        }
        let a = try dag.schedule(name: "a", trigger: OnceTrigger(at: dagDate(1)), body("a"))
        let b = try dag.schedule(name: "b", dependsOn: [a], body("b", fail: true))
        let c = try dag.schedule(name: "c", dependsOn: [a], body("c"))
        let d = try dag.schedule(name: "d", dependsOn: [b, c], body("d"))
        // A closure literal that does not await takes the synchronous overload.
        let e = try dag.schedule(name: "e", dependsOn: [c]) { _ in ran.append(("e", withUnsafeCurrentTask { $0 != nil })) }
        clock.advance(to: dagDate(1))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states == [a: .succeeded, b: .failed, c: .succeeded, d: .upstreamFailed, e: .succeeded])
        #expect(ran.all.first?.0 == "a" && Set(ran.all.map(\.0)) == ["a", "b", "c", "e"])
        #expect(ran.all.allSatisfy { !$0.1 }, "every body ran on a worker thread, not in a task")
    }

    /// Each job of a chain is made ready by the report of the one before it (one batched report
    /// to the graph per finished run): none is lost, whatever the executor limit.
    @Test(arguments: [1, 2, 4])
    func aChainOfSynchronousJobsRunsToTheEndInOrder(maxConcurrentJobs: Int) async throws {
        let (dag, clock) = makeDAG(maxConcurrentJobs: maxConcurrentJobs)
        let ran = Recorder<Int>()
        var ids = [try dag.schedule(name: "job-0", trigger: OnceTrigger(at: dagDate(1))) { _ in ran.append(0) }]
        for index in 1..<300 {
            ids.append(try dag.schedule(name: "job-\(index)", dependsOn: [ids[index - 1]]) { _ in ran.append(index) })
        }
        clock.advance(to: dagDate(1))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.jobs(in: .succeeded).count == 300)
        #expect(ran.all == Array(0..<300))
    }

    @Test func waitingForADAGRunEndsWithNilWhenCancelled() async {
        let (dag, _) = makeDAG()
        let waiter = Task { await dag.waitForDAGRun(at: dagDate(100)) }
        waiter.cancel()
        #expect(await waiter.value == nil)
    }

    @Test func edgeClosingACycleIsRejectedWithTheCycleNamed() throws {
        let (dag, _) = makeDAG()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1))) { _ in }
        let a = try dag.schedule(name: "a", dependsOn: [root]) { _ in }
        let b = try dag.schedule(name: "b", dependsOn: [a]) { _ in }
        let c = try dag.schedule(name: "c", dependsOn: [b]) { _ in }
        #expect(throws: DependencyError.cycle(["a", "c", "b", "a"])) { try dag.addDependency(a, dependsOn: c) }
        #expect(throws: DependencyError.cycle(["b", "b"])) { try dag.addDependency(b, dependsOn: b) }
        #expect(dag.upstream(of: a) == [root])
        #expect(DependencyError.cycle(["a", "c", "b", "a"]).description == "dependency would close a cycle: a → c → b → a")
        try dag.addDependency(c, dependsOn: a)
        #expect(dag.upstream(of: c) == [b, a])
    }

    @Test func invalidGraphChangesAreRejected() throws {
        let (dag, _) = makeDAG()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1))) { _ in }
        let other = try dag.schedule(name: "other", trigger: OnceTrigger(at: dagDate(1))) { _ in }
        #expect(throws: DependencyError.missingTrigger(name: "orphan")) { try dag.schedule(name: "orphan") { _ in } }
        #expect(throws: DependencyError.triggerOnDependent(job: "both")) {
            try dag.schedule(name: "both", trigger: OnceTrigger(at: dagDate(1)), dependsOn: [root]) { _ in }
        }
        #expect(throws: DependencyError.unknownJob(JobID(rawValue: 999))) {
            try dag.schedule(name: "lost", dependsOn: [JobID(rawValue: 999)]) { _ in }
        }
        #expect(throws: DependencyError.triggerOnDependent(job: "other")) { try dag.addDependency(other, dependsOn: root) }
        #expect {
            try dag.schedule(name: "bad-timeout", dependsOn: [root], options: .init(timeout: .seconds(-1))) { _ in }
        } throws: { error in
            if case .scheduler? = error as? DependencyError { true } else { false }
        }
    }
}
