import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

/// Every trigger rule against every pair of upstream outcomes, as a truth table written out by
/// hand from Airflow's definitions (SPEC §5), checked on the rule alone and through DAG runs.
@Suite(.timeLimit(.minutes(1))) struct TriggerRuleTests {
    /// How an upstream run ended (or that it has not yet): S succeeded, F failed, U marked
    /// upstream-failed, K skipped, P pending.
    enum Outcome: Character, CaseIterable {
        case succeeded = "S", failed = "F", upstreamFailed = "U", skipped = "K", pending = "P"
    }

    /// The pairs of upstream outcomes, in the order of the table's columns.
    static let pairs = [
        "SS", "SF", "SU", "SK", "FF", "FU", "FK", "UU", "UK", "KK",  // both ended
        "PS", "PF", "PU", "PK",  // one still pending
    ]

    /// What each rule decides for each pair: run, upf (marked upstream-failed), skip, or wait.
    static let table: [TriggerRule: [String]] = [
        .allSuccess: ["run", "upf", "upf", "skip", "upf", "upf", "upf", "upf", "upf", "skip", "wait", "upf", "upf", "skip"],
        .allFailed: ["skip", "skip", "skip", "skip", "run", "run", "skip", "run", "skip", "skip", "skip", "wait", "wait", "skip"],
        .allDone: ["run", "run", "run", "run", "run", "run", "run", "run", "run", "run", "wait", "wait", "wait", "wait"],
        .allSkipped: ["skip", "skip", "skip", "skip", "skip", "skip", "skip", "skip", "skip", "run", "skip", "skip", "skip", "wait"],
        .oneSuccess: ["run", "run", "run", "run", "upf", "upf", "upf", "upf", "upf", "skip", "run", "wait", "wait", "wait"],
        .oneFailed: ["skip", "run", "run", "skip", "run", "run", "run", "run", "run", "skip", "wait", "run", "run", "wait"],
        .oneDone: ["run", "run", "run", "run", "run", "run", "run", "skip", "skip", "skip", "run", "run", "wait", "wait"],
        .noneFailed: ["run", "upf", "upf", "run", "upf", "upf", "upf", "upf", "upf", "run", "wait", "upf", "upf", "wait"],
        .noneFailedMinOneSuccess: ["run", "upf", "upf", "run", "upf", "upf", "upf", "upf", "upf", "skip", "wait", "upf", "upf", "wait"],
        .noneSkipped: ["run", "run", "run", "skip", "run", "run", "skip", "run", "skip", "skip", "wait", "wait", "wait", "skip"],
        .always: ["run", "run", "run", "run", "run", "run", "run", "run", "run", "run", "run", "run", "run", "run"],
    ]

    /// The cells where the first upstream run to end decides (SPEC §5), and what they become
    /// when the skipped upstream run ends first, as it does in the DAG run below (it is skipped
    /// as soon as the root has succeeded, before the failed one has run).
    static let skipFirst: [TriggerRule: [String: String]] = [.allSuccess: ["FK": "skip", "UK": "skip"]]

    static func tally(_ pair: String) -> TriggerRule.Tally {
        var tally = TriggerRule.Tally()
        for letter in pair {
            switch Outcome(rawValue: letter)! {
            case .succeeded: tally.succeeded += 1
            case .failed: tally.failed += 1
            case .upstreamFailed: tally.upstreamFailed += 1
            case .skipped: tally.skipped += 1
            case .pending: tally.pending += 1
            }
        }
        return tally
    }

    static func name(of decision: TriggerRule.Decision) -> String {
        switch decision {
        case .run: "run"
        case .upstreamFailed: "upf"
        case .skipped: "skip"
        case .wait: "wait"
        }
    }

    @Test func theTableCoversEveryRuleAndEveryPair() {
        #expect(Set(Self.table.keys) == Set(TriggerRule.allCases))
        #expect(Self.table.values.allSatisfy { $0.count == Self.pairs.count })
        #expect(TriggerRule.allCases.count == 11, "Airflow's twelve rules less all_done_setup_success")
    }

    @Test(arguments: TriggerRule.allCases)
    func eachRuleDecidesAsTheTableSays(rule: TriggerRule) {
        for (pair, expected) in zip(Self.pairs, Self.table[rule]!) {
            #expect(Self.name(of: rule.decide(Self.tally(pair))) == expected, "\(rule) with upstream \(pair)")
        }
        let nothingEnded = Self.name(of: rule.decide(Self.tally("PP")))
        #expect(nothingEnded == (rule == .always ? "run" : "wait"), "\(rule) before any upstream ended")
    }

    /// The same table through DAG runs: for each pair that has ended, a dependent with `rule`
    /// under two upstream jobs made to end that way, all in one DAG run.
    @Test(arguments: TriggerRule.allCases)
    func eachRuleDecidesAsTheTableSaysInADAGRun(rule: TriggerRule) async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        let failing = try dag.schedule(name: "failing", dependsOn: [root], timeline.body("failing", clock: clock, fail: true))
        var dependents: [(pair: String, id: JobID, expected: String)] = []
        for (column, (pair, expected)) in zip(Self.pairs, Self.table[rule]!).enumerated() where !pair.contains("P") {
            var upstream: [JobID] = []
            for (position, letter) in pair.enumerated() {
                let name = "\(pair)-\(position)"
                switch Outcome(rawValue: letter)! {
                case .succeeded:
                    upstream.append(try dag.schedule(name: name, dependsOn: [root], timeline.body(name, clock: clock)))
                case .failed:
                    upstream.append(try dag.schedule(name: name, dependsOn: [root], timeline.body(name, clock: clock, fail: true)))
                case .upstreamFailed:  // under a failed job
                    upstream.append(try dag.schedule(name: name, dependsOn: [failing], timeline.body(name, clock: clock)))
                case .skipped:  // `allFailed` under a job that succeeded
                    upstream.append(
                        try dag.schedule(name: name, dependsOn: [root], options: .init(triggerRule: .allFailed), timeline.body(name, clock: clock)))
                case .pending:
                    Issue.record("column \(column) has a pending upstream")
                }
            }
            let id = try dag.schedule(name: "dependent-\(pair)", dependsOn: upstream, options: .init(triggerRule: rule), timeline.body("dependent-\(pair)", clock: clock))
            dependents.append((pair, id, Self.skipFirst[rule]?[pair] ?? expected))
        }
        clock.advance(to: dagDate(1))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        let stateOf = ["run": DependencyRunState.succeeded, "upf": .upstreamFailed, "skip": .skipped]
        for dependent in dependents {
            #expect(run.states[dependent.id] == stateOf[dependent.expected], "\(rule) with upstream \(dependent.pair)")
            #expect(timeline.jobs.contains("dependent-\(dependent.pair)") == (dependent.expected == "run"), "\(rule) with upstream \(dependent.pair)")
        }
    }

    /// `allSuccess` under one upstream that fails and one that is skipped: the first to end
    /// decides, as in Airflow when its scheduler looks between the two (SPEC §5).
    @Test(arguments: [(failsFirst: true, expected: DependencyRunState.upstreamFailed), (false, .skipped)])
    func allSuccessUnderAFailureAndASkipIsDecidedByTheFirstToEnd(failsFirst: Bool, expected: DependencyRunState) async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        let failing = try dag.schedule(name: "failing", dependsOn: [root], timeline.body("failing", clock: clock, sleep: failsFirst ? 0 : 10, fail: true))
        let slow = try dag.schedule(name: "slow", dependsOn: [root], timeline.body("slow", clock: clock, sleep: failsFirst ? 10 : 0))
        let skipped = try dag.schedule(name: "skipped", dependsOn: [slow], options: .init(triggerRule: .allFailed), timeline.body("skipped", clock: clock))
        let dependent = try dag.schedule(name: "dependent", dependsOn: [failing, skipped], timeline.body("dependent", clock: clock))
        let downstream = try dag.schedule(name: "downstream", dependsOn: [dependent], timeline.body("downstream", clock: clock))
        clock.advance(to: dagDate(1))
        await eventually("dependent decided") { dag.dagRun(at: dagDate(1))?.states[dependent]?.isFinished == true }
        #expect(dag.dagRun(at: dagDate(1))?.states[dependent] == expected)
        #expect(clock.sleepingTaskCount == 1, "decided before the other upstream ended")
        clock.advance(by: .seconds(10))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states[dependent] == expected)
        #expect(run.states[downstream] == expected, "passed on as such")
    }

    @Test func alwaysRunsWhenItsDAGRunStartsWithoutWaitingForItsUpstreamJobs() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let root = try dag.schedule(name: "root", trigger: OnceTrigger(at: dagDate(1)), timeline.body("root", clock: clock))
        let slow = try dag.schedule(name: "slow", dependsOn: [root], timeline.body("slow", clock: clock, sleep: 10, fail: true))
        let always = try dag.schedule(name: "always", dependsOn: [slow], options: .init(triggerRule: .always), timeline.body("always", clock: clock))
        let after = try dag.schedule(name: "after", dependsOn: [always], timeline.body("after", clock: clock))
        let allDone = try dag.schedule(name: "allDone", dependsOn: [slow], options: .init(triggerRule: .allDone), timeline.body("allDone", clock: clock))
        clock.advance(to: dagDate(1))
        await eventually("after ran") { timeline.entry("after")?.ended != nil }
        #expect(timeline.entry("always")?.started == dagDate(1))
        #expect(dag.dagRun(at: dagDate(1))?.states[slow] == .running)
        #expect(timeline.entry("allDone") == nil, "allDone waits")
        clock.advance(by: .seconds(10))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(1)))
        #expect(run.states == [root: .succeeded, slow: .failed, always: .succeeded, after: .succeeded, allDone: .succeeded])
        #expect(timeline.entry("allDone")?.started == dagDate(11))
    }

    @Test func anAlwaysJobTakesPartOnlyInTheDAGRunsOfItsRoots() async throws {
        let (dag, clock) = makeDAG()
        let timeline = Timeline()
        let hourly = try dag.schedule(name: "hourly", trigger: IntervalTrigger(every: .seconds(3_600)), timeline.body("hourly", clock: clock))
        let never = try dag.schedule(name: "never", trigger: OnceTrigger(at: dagDate(86_400)), timeline.body("never", clock: clock))
        let always = try dag.schedule(name: "always", dependsOn: [never], options: .init(triggerRule: .always), timeline.body("always", clock: clock))
        clock.advance(by: .seconds(3_600))
        let run = try #require(await dag.waitForDAGRun(at: dagDate(3_600)))
        #expect(run.states == [hourly: .succeeded])
        #expect(dag.runs(of: always).isEmpty)
    }
}
