import Foundation
import KairosPlatform
import KairosTestSupport
import Testing

@testable import Kairos

/// Registered functions for the DAG tests: each records its calls, and can fail or wait on a
/// gate.
final class DAGFunctions: Sendable {
    struct Call: Equatable, Sendable {
        let function: String
        let due: Date
        let attempt: Int
        let key: String
    }

    private struct Waiter {
        let function: String
        let count: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private let state = LockedState<(calls: [Call], waiters: [UInt64: Waiter], nextWaiter: UInt64)>(([], [:], 0))
    let gate = Gate()

    /// Registers each of `names` on `scheduler`; those in `failing` throw, those in `waiting`
    /// wait for the gate first.
    func register(_ names: [String], on scheduler: PersistentScheduler, failing: Set<String> = [], waiting: Set<String> = []) {
        for name in names {
            scheduler.register(name) { [self] context, _ in
                record(Call(function: name, due: context.dueDate, attempt: context.attempt, key: context.idempotencyKey))
                if waiting.contains(name) { await gate.wait() }
                if failing.contains(name) { throw TestFailure("\(name) failed") }
            }
        }
    }

    private func record(_ call: Call) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.calls.append(call)
            let calls = state.calls
            let done = state.waiters.filter { _, waiter in calls.count { $0.function == waiter.function } >= waiter.count }
            for id in done.keys { state.waiters[id] = nil }
            return done.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once `function` has been called `count` times, however long that takes (the
    /// suite's time limit ends a wait for a call that never comes: it cancels the wait).
    func waitForCalls(of function: String, count: Int = 1) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if Task.isCancelled || state.calls.count(where: { $0.function == function }) >= count { return true }
                    state.waiters[id] = Waiter(function: function, count: count, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    func calls(of function: String) -> [Call] { state.withLock { $0.calls.filter { $0.function == function } } }
    var all: [Call] { state.withLock { $0.calls } }
}

extension PersistentHarness {
    /// The DAG run for `dueDate` once it has finished, however long that takes; `nil` if the
    /// wait was cancelled (by the suite's time limit) first.
    func finishedDAGRun(at dueDate: Date) async -> DAGRun? {
        await scheduler.waitForDAGRun(at: dueDate)
    }
}

@Suite("PersistentScheduler dependency graphs", .timeLimit(.minutes(1)))
struct PersistentDependencyTests {
    static let t0 = utcDate("2026-01-01T00:00:00Z")
    static func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    static let optionSets: [DependencyJobOptions] = [
        DependencyJobOptions(),
        DependencyJobOptions(
            triggerRule: .allDone, retry: try! RetryPolicy(maxAttempts: 4, initialDelay: .seconds(2), multiplier: 3, maxDelay: .seconds(60), jitter: 0.25),
            timeout: .seconds(90), dependsOnPast: true, priority: 5),
        DependencyJobOptions(triggerRule: .oneSuccess, timeout: .milliseconds(1500), priority: -3),
        DependencyJobOptions(triggerRule: .oneFailed, dependsOnPast: true),
        DependencyJobOptions(triggerRule: .allFailed, retry: try! RetryPolicy(maxAttempts: 2)),
        DependencyJobOptions(triggerRule: .noneFailed, priority: 1),
        DependencyJobOptions(triggerRule: .noneFailedMinOneSuccess, timeout: .seconds(1)),
        DependencyJobOptions(triggerRule: .always, dependsOnPast: true, priority: 2),
    ]

    static let rootOptions: [DependencyJobOptions] = [
        DependencyJobOptions(),
        DependencyJobOptions(retry: try! RetryPolicy(maxAttempts: 3, initialDelay: .seconds(0.5)), misfire: .runAll),
        DependencyJobOptions(dependsOnPast: true, priority: 9, misfire: MisfirePolicy(catchUpWindow: .seconds(600), mode: .runEarliest)),
        DependencyJobOptions(misfire: .skip),
    ]

    static let rootTriggers: [any Trigger] = [
        try! CronTrigger("0 2 * * *", timeZone: TimeZone(identifier: "Europe/Paris")!),
        try! IntervalTrigger(every: .seconds(3600)),
        OnceTrigger(at: utcDate("2026-01-03T00:00:00Z")),
        SignalTrigger(key: "upload-done"),
    ]

    @Test(arguments: optionSets.indices)
    func aGraphWithEveryOptionSurvivesARestart(index: Int) async throws {
        let options = Self.optionSets[index]
        let rootOptions = Self.rootOptions[index % Self.rootOptions.count]
        let trigger = Self.rootTriggers[index % Self.rootTriggers.count]
        let first = try PersistentHarness(start: false)
        let functions = DAGFunctions()
        functions.register(["extract", "clean", "load"], on: first.scheduler)
        first.scheduler.start()
        let extract = try first.scheduler.scheduleDependencyJob(
            name: "extract", function: "extract", arguments: ["source": "s3://in", "n": 3],
            trigger: trigger, options: rootOptions)
        let clean = try first.scheduler.scheduleDependencyJob(name: "clean", function: "clean", dependsOn: [extract], options: options)
        let load = try first.scheduler.scheduleDependencyJob(
            name: "load", function: "load", arguments: ["to": ["db", "cache"]],
            dependsOn: [extract, extract], options: options)
        try first.scheduler.addDependency(load, dependsOn: clean)
        let stored = first.scheduler.store.document.dag

        let second = try first.crashAndRestart(at: Self.t0, register: false, start: false)
        #expect(second.scheduler.store.document.dag == stored, "the graph reads back as written")
        functions.register(["extract", "clean", "load"], on: second.scheduler)
        second.scheduler.start()
        #expect(second.scheduler.upstream(of: load) == [extract, clean])
        #expect(second.scheduler.upstream(of: clean) == [extract])
        #expect(Set(second.scheduler.downstream(of: extract)) == [clean, load])
        for (id, name, expected) in [(extract, "extract", rootOptions), (clean, "clean", options), (load, "load", options)] {
            let restored = try #require(second.scheduler.dependencies.definition(of: id))
            #expect(restored.name == name)
            #expect(restored.options == expected, "options of \(name)")
        }
        let restoredTrigger = try #require(second.scheduler.dependencies.definition(of: extract)?.trigger)
        let originalTrigger = try #require(first.scheduler.dependencies.definition(of: extract)?.trigger)
        #expect(TriggerDescription(restoredTrigger) == TriggerDescription(originalTrigger))
        #expect(second.scheduler.dependencies.definition(of: clean)?.trigger == nil)
        #expect(second.scheduler.unrestoredJobs.isEmpty)
        let document = second.scheduler.store.document
        #expect(document.dag.jobs[load]?.arguments == ["to": ["db", "cache"]])
        #expect(document.dag.jobs[load]?.upstream == [extract, clean], "duplicate upstream IDs count once")
        for harness in [first, second] { await harness.scheduler.stop(timeout: .zero) }
    }

    /// extract → transform → load: extract succeeded, transform was running and load waiting
    /// when the process died.
    @Test func aDAGRunInterruptedMidwayResumesWithoutRerunningWhatSucceeded() async throws {
        let first = try PersistentHarness(start: false)
        let functions = DAGFunctions()
        functions.register(["extract", "transform", "load"], on: first.scheduler, waiting: ["transform"])
        first.scheduler.start()
        let due = Self.at(60)
        let extract = try first.scheduler.scheduleDependencyJob(name: "extract", function: "extract", trigger: OnceTrigger(at: due))
        let transform = try first.scheduler.scheduleDependencyJob(name: "transform", function: "transform", dependsOn: [extract])
        let load = try first.scheduler.scheduleDependencyJob(name: "load", function: "load", dependsOn: [transform])
        first.clock.advance(to: due)
        await functions.waitForCalls(of: "transform")
        #expect(first.scheduler.dagRun(at: due)?.states == [extract: .succeeded, transform: .running, load: .waiting])

        let second = try first.crashAndRestart(at: Self.at(120), register: false, start: false)
        let stored = try #require(second.scheduler.store.document.dag.runs[due])
        #expect(stored.jobs.mapValues(\.phase) == [extract: .succeeded, transform: .running, load: .waitingForUpstream])
        functions.register(["extract", "transform", "load"], on: second.scheduler)
        second.scheduler.start()
        let run = try #require(await second.finishedDAGRun(at: due))
        #expect(run.states == [extract: .succeeded, transform: .succeeded, load: .succeeded])
        #expect(functions.calls(of: "extract").count == 1, "what succeeded does not run again")
        let transformCalls = functions.calls(of: "transform")
        #expect(transformCalls.map(\.attempt) == [1, 2], "the interrupted run runs again, one attempt higher")
        #expect(transformCalls.map(\.key) == ["\(transform)@2026-01-01T00:01:00Z", "\(transform)@2026-01-01T00:01:00Z"])
        #expect(functions.calls(of: "load").map(\.due) == [due])
        #expect(second.scheduler.dependencyRuns(of: extract).map(\.state) == [.succeeded])

        // Finished and durable: a further restart runs nothing.
        try await second.waitUntilPersisted { $0.dag.runs.isEmpty }
        let third = try second.crashAndRestart(at: Self.at(180), register: false, start: false)
        functions.register(["extract", "transform", "load"], on: third.scheduler)
        third.scheduler.start()
        await third.settle()
        #expect(functions.all.count == 4)
        #expect(third.scheduler.activeDAGRuns.isEmpty)
        #expect(third.scheduler.dependencyRuns(of: load).map(\.state) == [.succeeded], "the history is persisted")
        functions.gate.open()
        for harness in [first, second, third] { await harness.scheduler.stop(timeout: .zero) }
    }

    /// `flaky` failed its first attempt and was waiting out its backoff when the process died.
    @Test func aJobWaitingToRetryAtACrashRunsItsNextAttemptAtOnce() async throws {
        let first = try PersistentHarness(start: false)
        let functions = DAGFunctions()
        functions.register(["root", "flaky"], on: first.scheduler, failing: ["flaky"])
        first.scheduler.start()
        let due = Self.at(60)
        let root = try first.scheduler.scheduleDependencyJob(name: "root", function: "root", trigger: OnceTrigger(at: due))
        let flaky = try first.scheduler.scheduleDependencyJob(
            name: "flaky", function: "flaky", dependsOn: [root],
            options: DependencyJobOptions(retry: try RetryPolicy(maxAttempts: 3, initialDelay: .seconds(600), multiplier: 1, maxDelay: .seconds(600))))
        first.clock.advance(to: due)
        await eventually("the first attempt failed and the retry waits") {
            functions.calls(of: "flaky").count == 1 && first.clock.sleepingTaskCount == 1
        }
        try await first.waitUntilPersisted { $0.dag.runs[due]?.jobs[flaky]?.attempts == 2 }

        let second = try first.crashAndRestart(at: Self.at(90), register: false, start: false)
        functions.register(["root", "flaky"], on: second.scheduler, failing: ["flaky"])
        second.scheduler.start()
        let run = try #require(await second.finishedDAGRun(at: due))
        #expect(run.states == [root: .succeeded, flaky: .failed])
        // The attempt due after the backoff counts as interrupted: the rerun is attempt 3, the
        // last the policy allows, and runs at once.
        #expect(functions.calls(of: "flaky").map(\.attempt) == [1, 3])
        #expect(second.clock.now.date == Self.at(90))
        #expect(functions.calls(of: "root").count == 1)
        for harness in [first, second] { await harness.scheduler.stop(timeout: .zero) }
    }

    /// A root every minute; `report` depends on it with `dependsOnPast`. Its run for 00:01
    /// succeeds or fails in the first process; the process restarts before 00:02.
    @Test(arguments: [false, true])
    func dependsOnPastLooksAtRunsFromBeforeTheRestart(previousFailed: Bool) async throws {
        let first = try PersistentHarness(start: false)
        let functions = DAGFunctions()
        functions.register(["tick", "report"], on: first.scheduler, failing: previousFailed ? ["report"] : [])
        first.scheduler.start()
        let tick = try first.scheduler.scheduleDependencyJob(
            name: "tick", function: "tick", trigger: try IntervalTrigger(every: .seconds(60), startingAt: Self.at(60)))
        let report = try first.scheduler.scheduleDependencyJob(
            name: "report", function: "report", dependsOn: [tick],
            options: DependencyJobOptions(dependsOnPast: true))
        first.clock.advance(to: Self.at(60))
        _ = await first.finishedDAGRun(at: Self.at(60))
        #expect(first.scheduler.dependencyRuns(of: report).map(\.state) == [previousFailed ? .failed : .succeeded])

        let second = try first.crashAndRestart(at: Self.at(90), register: false, start: false)
        functions.register(["tick", "report"], on: second.scheduler)
        second.scheduler.start()
        #expect(second.scheduler.dependencyRuns(of: report).map(\.state) == [previousFailed ? .failed : .succeeded])
        second.clock.advance(to: Self.at(120))
        let run = try #require(await second.finishedDAGRun(at: Self.at(120)))
        #expect(run.states[report] == (previousFailed ? .skipped : .succeeded))
        #expect(functions.calls(of: "report").map(\.due) == (previousFailed ? [Self.at(60)] : [Self.at(60), Self.at(120)]))
        for harness in [first, second] { await harness.scheduler.stop(timeout: .zero) }
    }

    /// A root due every minute from 00:01 ran at 00:01; the process is down until 00:10:30.
    @Test(arguments: [
        (MisfirePolicy.runLatest, ["00:10"]),
        (MisfirePolicy.runEarliest, ["00:02"]),
        (MisfirePolicy.runAll, ["00:02", "00:03", "00:04", "00:05", "00:06", "00:07", "00:08", "00:09", "00:10"]),
        (MisfirePolicy.skip, []),
        (MisfirePolicy(catchUpWindow: .seconds(120), mode: .runAll), ["00:09", "00:10"]),
    ])
    func rootFiresMissedWhileDownFollowTheMisfirePolicy(policy: MisfirePolicy, expected: [String]) async throws {
        let first = try PersistentHarness(start: false)
        let functions = DAGFunctions()
        functions.register(["tick", "after"], on: first.scheduler)
        first.scheduler.start()
        let tick = try first.scheduler.scheduleDependencyJob(
            name: "tick", function: "tick", trigger: try IntervalTrigger(every: .seconds(60), startingAt: Self.at(60)),
            options: DependencyJobOptions(misfire: policy))
        let after = try first.scheduler.scheduleDependencyJob(name: "after", function: "after", dependsOn: [tick])
        first.clock.advance(to: Self.at(60))
        _ = await first.finishedDAGRun(at: Self.at(60))
        try await first.waitUntilPersisted { $0.dag.runs.isEmpty && $0.dag.jobs[tick]?.last == Self.at(60) }

        let second = try first.crashAndRestart(at: Self.at(630), register: false, start: false)
        functions.register(["tick", "after"], on: second.scheduler)
        second.scheduler.start()
        for text in expected {
            let run = try #require(await second.finishedDAGRun(at: Self.date(text)))
            #expect(run.states == [tick: .succeeded, after: .succeeded], "DAG run \(text)")
        }
        await second.settle()
        // DAG runs for different dates run in parallel: compare the dates, not their order.
        let ran = functions.calls(of: "after").map { PersistentSchedulerTests.minuteText($0.due) }.sorted()
        #expect(ran == ["00:01"] + expected)
        #expect(functions.calls(of: "tick").count == 1 + expected.count)
        // The next fire is on schedule.
        second.clock.advance(to: Self.at(660))
        let next = try #require(await second.finishedDAGRun(at: Self.at(660)))
        #expect(next.states[after] == .succeeded)
        for harness in [first, second] { await harness.scheduler.stop(timeout: .zero) }
    }

    static func date(_ minuteText: String) -> Date {
        let parts = minuteText.split(separator: ":").map { Double($0)! }
        return at(parts[0] * 3600 + parts[1] * 60)
    }

    @Test func aJobWhoseFunctionIsNotRegisteredIsKeptReportedAndRunsOnceRegistered() async throws {
        let first = try PersistentHarness(start: false)
        let functions = DAGFunctions()
        functions.register(["extract", "load"], on: first.scheduler)
        first.scheduler.start()
        let extract = try first.scheduler.scheduleDependencyJob(
            name: "extract", function: "extract", trigger: try IntervalTrigger(every: .seconds(60), startingAt: Self.at(60)))
        let load = try first.scheduler.scheduleDependencyJob(name: "load", function: "load", dependsOn: [extract])

        let second = try first.crashAndRestart(at: Self.at(30), register: false, start: false)
        functions.register(["extract"], on: second.scheduler)
        second.scheduler.start()
        #expect(second.scheduler.unrestoredJobs == [UnrestoredJob(id: load, name: "load", function: "load", reason: .functionNotRegistered)])
        #expect(second.scheduler.upstream(of: load) == [extract], "the job stays in the graph")
        second.clock.advance(to: Self.at(60))
        await eventually("extract ran") { second.scheduler.dagRun(at: Self.at(60))?.states[extract] == .succeeded }
        await second.settle()
        #expect(second.scheduler.dagRun(at: Self.at(60))?.states[load] == .running, "load is ready and waits for its function")
        #expect(functions.calls(of: "load").isEmpty)

        // Still kept after a restart without the function; the DAG run in progress is too.
        let third = try second.crashAndRestart(at: Self.at(90), register: false, start: false)
        functions.register(["extract"], on: third.scheduler)
        third.scheduler.start()
        #expect(third.scheduler.unrestoredJobs.map(\.id) == [load])
        #expect(third.scheduler.activeDAGRuns.map(\.dueDate) == [Self.at(60)])
        functions.register(["load"], on: third.scheduler)
        let run = try #require(await third.finishedDAGRun(at: Self.at(60)))
        #expect(run.states == [extract: .succeeded, load: .succeeded])
        #expect(functions.calls(of: "load").map(\.due) == [Self.at(60)], "load ran once, for the DAG run that waited")
        #expect(functions.calls(of: "extract").count == 1)
        #expect(third.scheduler.unrestoredJobs.isEmpty)
        for harness in [first, second, third] { await harness.scheduler.stop(timeout: .zero) }
    }

    /// What one DAG run of a chain of three jobs adds to the journal, next to `others` other
    /// DAG jobs: records and bytes.
    static func journalGrowthOfOneDAGRun(others: Int) async throws -> (records: Int, bytes: Int) {
        let harness = try PersistentHarness()
        let journal = PersistentHarness.path + ".journal"
        let far = utcDate("2030-01-01T00:00:00Z")
        for index in 0..<others {
            let root = try harness.scheduler.scheduleDependencyJob(name: "other root \(index)", function: "record", trigger: OnceTrigger(at: far))
            try harness.scheduler.scheduleDependencyJob(name: "other \(index)", function: "record", dependsOn: [root])
        }
        let first = try harness.scheduler.scheduleDependencyJob(name: "first", function: "record", trigger: OnceTrigger(at: at(60)))
        let second = try harness.scheduler.scheduleDependencyJob(name: "second", function: "record", dependsOn: [first])
        try harness.scheduler.scheduleDependencyJob(name: "third", function: "record", dependsOn: [second])
        let before = harness.fileSystem.files[journal] ?? []
        harness.clock.advance(to: at(60))
        _ = await harness.finishedDAGRun(at: at(60))
        try harness.scheduler.store.waitUntilDurable()
        let after = harness.fileSystem.files[journal] ?? []
        await harness.scheduler.stop(timeout: .zero)
        #expect(after.starts(with: before), "the journal was appended to, not rewritten")
        let added = after.dropFirst(before.count)
        return (added.filter { $0 == 0x0A }.count, added.count)
    }

    @Test func aDAGRunIsJournaledJobByJobWhateverTheSizeOfTheGraph() async throws {
        let small = try await Self.journalGrowthOfOneDAGRun(others: 1)
        let large = try await Self.journalGrowthOfOneDAGRun(others: 300)
        // The root's fire, each job's end (with the runs it starts) and the finish: one record
        // (one fsync) per step.
        #expect(small.records == 4)
        #expect(large.records == small.records)
        #expect(abs(large.bytes - small.bytes) < 64, "\(small.bytes) bytes next to 2 jobs, \(large.bytes) next to 600")
        print("one DAG run of 3 jobs: \(small.records) journal records, \(small.bytes) bytes (\(large.bytes) bytes in a graph of 603 jobs)")
    }

    @Test func aFailedWriteStopsDAGChangesAndRuns() async throws {
        // Operations 0–5 open the new state; 6 is the first write of the first DAG change.
        let harness = try PersistentHarness(fileSystem: SimulatedFileSystem(faultAt: 6, fault: .fail))
        #expect {
            try harness.scheduler.scheduleDependencyJob(name: "root", function: "record", trigger: OnceTrigger(at: Self.at(60)))
        } throws: { error in
            guard case PersistentSchedulerError.persistence(.stopped) = error else { return false }
            return true
        }
        #expect(harness.scheduler.failure != nil)
        #expect(throws: PersistentSchedulerError.persistence(harness.scheduler.failure!)) {
            try harness.scheduler.scheduleDependencyJob(name: "other", function: "record", trigger: ManualTrigger())
        }
        // The root exists in memory only; its run fails before calling its function.
        harness.clock.advance(to: Self.at(60))
        await eventually("the root's run ended") { harness.scheduler.dagRun(at: Self.at(60))?.isFinished == true }
        #expect(harness.scheduler.dagRun(at: Self.at(60))?.states.values.map { $0 } == [.failed])
        #expect(harness.recorder.count == 0)
        await harness.scheduler.stop(timeout: .zero)
    }

    @Test func edgesRemovalsAndRefusedChangesAreDurable() async throws {
        let first = try PersistentHarness()
        let a = try first.scheduler.scheduleDependencyJob(name: "a", function: "record", trigger: ManualTrigger())
        let b = try first.scheduler.scheduleDependencyJob(name: "b", function: "record", dependsOn: [a])
        let c = try first.scheduler.scheduleDependencyJob(name: "c", function: "record", dependsOn: [b])
        let d = try first.scheduler.scheduleDependencyJob(name: "d", function: "record", dependsOn: [a])
        #expect(throws: PersistentSchedulerError.dependency(.cycle(["b", "c", "b"]))) { try first.scheduler.addDependency(b, dependsOn: c) }
        #expect(throws: PersistentSchedulerError.dependency(.hasDependents(job: "b", dependents: ["c"]))) {
            try first.scheduler.remove(b)
        }
        #expect(throws: PersistentSchedulerError.functionNotRegistered("nope")) {
            try first.scheduler.scheduleDependencyJob(name: "e", function: "nope", dependsOn: [a])
        }
        #expect(throws: PersistentSchedulerError.dependency(.missingTrigger(name: "f"))) {
            try first.scheduler.scheduleDependencyJob(name: "f", function: "record")
        }
        try first.scheduler.addDependency(d, dependsOn: c)
        #expect(try first.scheduler.cancel(d), "cancel removes a DAG job")
        #expect(try first.scheduler.remove(d) == false)

        let second = try first.crashAndRestart(at: Self.t0)
        #expect(Set(second.scheduler.store.document.dag.jobs.keys) == [a, b, c])
        #expect(second.scheduler.upstream(of: b) == [a])
        #expect(second.scheduler.downstream(of: c).isEmpty)
        #expect(second.scheduler.dependencies.contains(d) == false)
        let e = try second.scheduler.scheduleDependencyJob(name: "e", function: "record", dependsOn: [c])
        #expect(e.rawValue > d.rawValue, "IDs are not reused")
        for harness in [first, second] { await harness.scheduler.stop(timeout: .zero) }
    }
}
