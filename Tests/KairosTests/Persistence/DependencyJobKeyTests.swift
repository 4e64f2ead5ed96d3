import Foundation
import Testing

@testable import Kairos

/// `scheduleDependencyJob(key:…)` is an upsert: a program that declares its graph at every
/// start-up keeps one DAG job per key, with its ID and run history; a changed declaration updates
/// the job in place where the graph allows it.
@Suite("DAG job keys", .timeLimit(.minutes(1)))
struct DependencyJobKeyTests {
    static let t0 = utcDate("2026-01-01T00:00:00Z")
    static func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }
    static let functionNames = ["extract", "clean", "clean.v2", "load", "report"]

    struct Graph: Equatable {
        var extract: JobID
        var clean: JobID
        var load: JobID
        var report: JobID?
    }

    /// extract (hourly, unanchored) → clean → load, and load also depends on extract: the graph
    /// as a program declares it at start-up. Its second version runs `clean.v2` and adds report
    /// (depending on extract), which load depends on instead of extract.
    @discardableResult
    static func declare(on scheduler: PersistentScheduler, secondVersion: Bool = false) throws -> Graph {
        let extract = try scheduler.scheduleDependencyJob(
            key: "etl.extract", name: "extract", function: "extract",
            arguments: ["source": "s3://in"],
            trigger: try IntervalTrigger(every: .seconds(3600)),
            options: .init(misfire: .runLatest))
        let clean = try scheduler.scheduleDependencyJob(
            key: "etl.clean", name: "clean", function: secondVersion ? "clean.v2" : "clean",
            dependsOn: [extract])
        let report =
            secondVersion
            ? try scheduler.scheduleDependencyJob(key: "etl.report", name: "report", function: "report", dependsOn: [extract]) : nil
        let load = try scheduler.scheduleDependencyJob(
            key: "etl.load", name: "load", function: "load",
            dependsOn: [clean, report ?? extract],
            options: .init(retry: try RetryPolicy(maxAttempts: 3)))
        return Graph(extract: extract, clean: clean, load: load, report: report)
    }

    /// A harness whose functions are registered before `start()`, as a program does.
    static func started(_ harness: PersistentHarness, _ functions: DAGFunctions, waiting: Set<String> = []) -> PersistentHarness {
        functions.register(functionNames, on: harness.scheduler, waiting: waiting)
        harness.scheduler.start()
        return harness
    }

    /// A first process: declares the graph, runs its DAG run for 01:00 and stops once that is durable.
    static func firstProcess(_ functions: DAGFunctions) async throws -> (PersistentHarness, Graph, DAGRun) {
        let first = started(try PersistentHarness(register: false, start: false), functions)
        let graph = try declare(on: first.scheduler)
        first.clock.advance(to: at(3600))
        let run = try #require(await first.finishedDAGRun(at: at(3600)))
        try await first.waitUntilPersisted { $0.dag.runs.isEmpty && $0.dag.jobs[graph.load]?.history.count == 1 }
        await first.scheduler.stop(timeout: .zero)
        return (first, graph, run)
    }

    static func journal(of harness: PersistentHarness) -> [UInt8]? {
        harness.fileSystem.files[PersistentHarness.path + ".journal"]
    }

    @Test func theSameGraphDeclaredAfterARestartKeepsItsJobsIDsAndRunHistory() async throws {
        let functions = DAGFunctions()
        let (first, graph, run) = try await Self.firstProcess(functions)
        #expect(run.states == [graph.extract: .succeeded, graph.clean: .succeeded, graph.load: .succeeded])
        #expect(first.scheduler.store.document.writtenVersion == 3, "DAG keys are part of format version 3")

        for restart in 1...2 {
            let again = Self.started(
                try first.crashAndRestart(at: Self.at(3600 + 100 * Double(restart)), register: false, start: false),
                functions)
            let journalBefore = Self.journal(of: again)
            #expect(try Self.declare(on: again.scheduler) == graph, "restart \(restart): the same IDs")
            #expect(Self.journal(of: again) == journalBefore ? true : false, "restart \(restart): nothing was written")
            let document = again.scheduler.store.document
            #expect(document.dag.jobs.keys.sorted() == [graph.extract, graph.clean, graph.load], "no duplicate DAG jobs")
            #expect(document.jobKeys == ["etl.extract": graph.extract, "etl.clean": graph.clean, "etl.load": graph.load])
            #expect(again.scheduler.jobID(forKey: "etl.load") == graph.load)
            #expect(again.scheduler.job(key: "etl.clean")?.id == graph.clean)
            #expect(again.scheduler.upstream(of: graph.load) == [graph.clean, graph.extract])
            #expect(again.scheduler.dependencyRuns(of: graph.load).map(\.dueDate) == [Self.at(3600)], "the run history is kept")
            await again.scheduler.stop(timeout: .zero)
        }

        // The next DAG run fires once: one root, not one per start-up.
        let last = Self.started(try first.crashAndRestart(at: Self.at(3900), register: false, start: false), functions)
        try Self.declare(on: last.scheduler)
        last.clock.advance(to: Self.at(7200))
        _ = try #require(await last.finishedDAGRun(at: Self.at(7200)))
        await last.settle()
        #expect(functions.calls(of: "extract").map(\.due) == [Self.at(3600), Self.at(7200)])
        #expect(functions.calls(of: "load").map(\.due) == [Self.at(3600), Self.at(7200)])
        await last.scheduler.stop(timeout: .zero)
    }

    /// A new edge (load → report), a removed one (load → extract) and a changed function (clean)
    /// are applied in place, durably.
    @Test func aChangedGraphIsUpdatedInPlaceKeepingIDsAndHistory() async throws {
        let functions = DAGFunctions()
        let (first, graph, _) = try await Self.firstProcess(functions)

        let second = Self.started(try first.crashAndRestart(at: Self.at(3700), register: false, start: false), functions)
        let updated = try Self.declare(on: second.scheduler, secondVersion: true)
        let report = try #require(updated.report)
        #expect(updated == Graph(extract: graph.extract, clean: graph.clean, load: graph.load, report: report))
        #expect(second.scheduler.upstream(of: graph.load) == [graph.clean, report])
        #expect(Set(second.scheduler.downstream(of: graph.extract)) == [graph.clean, report])
        #expect(second.scheduler.dependencyRuns(of: graph.load).count == 1, "the history is kept")
        let stored = second.scheduler.store.document.dag
        #expect(stored.jobs[graph.load]?.upstream == [graph.clean, report])
        #expect(stored.jobs[graph.clean]?.function == "clean.v2")
        #expect(stored.jobs[graph.clean]?.key == "etl.clean")

        second.clock.advance(to: Self.at(7200))
        let run = try #require(await second.finishedDAGRun(at: Self.at(7200)))
        #expect(run.states == [graph.extract: .succeeded, graph.clean: .succeeded, report: .succeeded, graph.load: .succeeded])
        #expect(functions.calls(of: "clean.v2").map(\.due) == [Self.at(7200)], "the new function runs")
        #expect(functions.calls(of: "clean").map(\.due) == [Self.at(3600)])
        try await second.waitUntilPersisted { $0.dag.runs.isEmpty }
        await second.scheduler.stop(timeout: .zero)

        // The updated graph reads back, and declaring it again writes nothing.
        let third = Self.started(try second.crashAndRestart(at: Self.at(7300), register: false, start: false), functions)
        #expect(third.scheduler.store.document.dag == second.scheduler.store.document.dag)
        let journalBefore = Self.journal(of: third)
        #expect(try Self.declare(on: third.scheduler, secondVersion: true) == updated)
        #expect(Self.journal(of: third) == journalBefore ? true : false, "nothing was written")
        #expect(third.scheduler.upstream(of: graph.load) == [graph.clean, report])
        await third.scheduler.stop(timeout: .zero)
    }

    /// A program may declare its graph before `start()`: on a new state the jobs are added, after
    /// a restart the same declarations find the stored ones; `start()` restores each job once.
    @Test func aGraphDeclaredBeforeStartIsRestoredOnce() async throws {
        let functions = DAGFunctions()
        let first = try PersistentHarness(register: false, start: false)
        functions.register(Self.functionNames, on: first.scheduler)
        let graph = try Self.declare(on: first.scheduler)
        first.scheduler.start()
        #expect(first.scheduler.unrestoredJobs.isEmpty)
        first.clock.advance(to: Self.at(3600))
        let run = try #require(await first.finishedDAGRun(at: Self.at(3600)))
        #expect(run.states == [graph.extract: .succeeded, graph.clean: .succeeded, graph.load: .succeeded])
        try await first.waitUntilPersisted { $0.dag.runs.isEmpty }
        await first.scheduler.stop(timeout: .zero)

        let second = try first.crashAndRestart(at: Self.at(3700), register: false, start: false)
        functions.register(Self.functionNames, on: second.scheduler)
        #expect(try Self.declare(on: second.scheduler) == graph)
        second.scheduler.start()
        #expect(second.scheduler.unrestoredJobs.isEmpty)
        #expect(second.scheduler.upstream(of: graph.load) == [graph.clean, graph.extract])
        second.clock.advance(to: Self.at(7200))
        _ = try #require(await second.finishedDAGRun(at: Self.at(7200)))
        #expect(functions.calls(of: "load").map(\.due) == [Self.at(3600), Self.at(7200)])
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func aRootsChangedTriggerTakesEffectFromNowAndSurvivesARestart() async throws {
        let functions = DAGFunctions()
        let first = Self.started(try PersistentHarness(register: false, start: false), functions)
        let graph = try Self.declare(on: first.scheduler)
        first.clock.advance(to: Self.at(600))
        let every15Minutes = try IntervalTrigger(every: .seconds(900))
        let extract = try first.scheduler.scheduleDependencyJob(
            key: "etl.extract", name: "extract", function: "extract",
            arguments: ["source": "s3://in"], trigger: every15Minutes,
            options: .init(misfire: .runLatest))
        #expect(extract == graph.extract)
        let stored = try #require(first.scheduler.store.document.dag.jobs[extract])
        #expect(stored.first == Self.at(1500), "anchored at the declaration")
        first.clock.advance(to: Self.at(1500))
        _ = try #require(await first.finishedDAGRun(at: Self.at(1500)))
        try await first.waitUntilPersisted { $0.dag.runs.isEmpty }
        await first.scheduler.stop(timeout: .zero)

        let second = Self.started(try first.crashAndRestart(at: Self.at(1600), register: false, start: false), functions)
        let journalBefore = Self.journal(of: second)
        #expect(
            try second.scheduler.scheduleDependencyJob(
                key: "etl.extract", name: "extract", function: "extract",
                arguments: ["source": "s3://in"], trigger: every15Minutes,
                options: .init(misfire: .runLatest)) == extract)
        #expect(Self.journal(of: second) == journalBefore ? true : false, "the unanchored interval matches the stored one")
        second.clock.advance(to: Self.at(2400))
        _ = try #require(await second.finishedDAGRun(at: Self.at(2400)))
        #expect(functions.calls(of: "extract").map(\.due) == [Self.at(1500), Self.at(2400)])
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func anEdgeThatWouldCloseACycleRefusesTheDeclarationAndChangesNothing() async throws {
        let harness = Self.started(try PersistentHarness(register: false, start: false), DAGFunctions())
        let graph = try Self.declare(on: harness.scheduler)
        let journalBefore = Self.journal(of: harness)
        // clean → load → clean
        #expect(throws: PersistentSchedulerError.dependency(.cycle(["clean", "load", "clean"]))) {
            try harness.scheduler.scheduleDependencyJob(key: "etl.clean", name: "clean", function: "clean", dependsOn: [graph.load])
        }
        #expect(throws: PersistentSchedulerError.dependency(.cycle(["clean", "clean"]))) {
            try harness.scheduler.scheduleDependencyJob(
                key: "etl.clean", name: "clean", function: "clean.v2",
                dependsOn: [graph.extract, graph.clean])
        }
        #expect(Self.journal(of: harness) == journalBefore ? true : false, "nothing was written")
        #expect(harness.scheduler.upstream(of: graph.clean) == [graph.extract])
        #expect(harness.scheduler.store.document.dag.jobs[graph.clean]?.function == "clean", "a refused declaration changes nothing")
        await harness.scheduler.stop(timeout: .zero)
    }

    /// load waits for clean, which is running; declaring load without clean lets it run at once.
    @Test func removingTheEdgeAWaitingDependentWaitsOnLetsItRun() async throws {
        let functions = DAGFunctions()
        let harness = Self.started(try PersistentHarness(register: false, start: false), functions, waiting: ["clean"])
        let graph = try Self.declare(on: harness.scheduler)
        harness.clock.advance(to: Self.at(3600))
        await eventually("clean started") { functions.calls(of: "clean").count == 1 }
        #expect(harness.scheduler.dagRun(at: Self.at(3600))?.states[graph.load] == .waiting)

        try harness.scheduler.scheduleDependencyJob(
            key: "etl.load", name: "load", function: "load", dependsOn: [graph.extract],
            options: .init(retry: try RetryPolicy(maxAttempts: 3)))
        await eventually("load ran") { functions.calls(of: "load").count == 1 }
        #expect(harness.scheduler.dagRun(at: Self.at(3600))?.states[graph.clean] == .running)
        let stored = harness.scheduler.store.document.dag
        #expect(stored.jobs[graph.load]?.upstream == [graph.extract])
        functions.gate.open()
        let run = try #require(await harness.finishedDAGRun(at: Self.at(3600)))
        #expect(run.states[graph.load] == .succeeded)
        await harness.scheduler.stop(timeout: .zero)
    }

    @Test func changesThatCannotBeMadeInPlaceAreRefusedWithTheirReason() async throws {
        let first = Self.started(try PersistentHarness(register: false, start: false), DAGFunctions())
        let graph = try Self.declare(on: first.scheduler)
        let journalBefore = Self.journal(of: first)
        func reason(_ body: () throws -> Void) -> String? {
            do {
                try body()
            } catch let PersistentSchedulerError.dependencyJobNotUpdatable(key, reason) {
                #expect(key == "etl.clean")
                return reason
            } catch {
                Issue.record("unexpected \(error)")
            }
            return nil
        }
        let renamed = reason { try first.scheduler.scheduleDependencyJob(key: "etl.clean", name: "scrub", function: "clean", dependsOn: [graph.extract]) }
        #expect(renamed == "its name changed from \"clean\" to \"scrub\"")
        let asRoot = reason {
            try first.scheduler.scheduleDependencyJob(key: "etl.clean", name: "clean", function: "clean", trigger: ManualTrigger())
        }
        #expect(asRoot == "it is stored as a dependent and declared as a root (with a trigger)")
        let withOptions = reason {
            try first.scheduler.scheduleDependencyJob(
                key: "etl.clean", name: "clean", function: "clean", dependsOn: [graph.extract],
                options: .init(triggerRule: .allDone))
        }
        #expect(withOptions?.hasPrefix("its options changed") == true)
        #expect(Self.journal(of: first) == journalBefore ? true : false, "a refused declaration writes nothing")
        #expect(throws: PersistentSchedulerError.invalidJobKey("etl.clean", reason: "it is the key of DAG job \(graph.clean); declare it with scheduleDependencyJob(key:…)")) {
            try first.scheduler.schedule(key: "etl.clean", function: "clean", trigger: ManualTrigger())
        }
        let plain = try first.scheduler.schedule(key: "plain", function: "clean", trigger: ManualTrigger())
        #expect(throws: PersistentSchedulerError.invalidJobKey("plain", reason: "it is the key of job \(plain), which is not a DAG job; declare it with schedule(key:…)")) {
            try first.scheduler.scheduleDependencyJob(key: "plain", name: "plain", function: "clean", trigger: ManualTrigger())
        }
        #expect(throws: PersistentSchedulerError.invalidJobKey("", reason: "a key cannot be empty")) {
            try first.scheduler.scheduleDependencyJob(key: "", name: "x", function: "clean", trigger: ManualTrigger())
        }
        #expect(first.scheduler.store.document.dag.jobs.count == 3)
        await first.scheduler.stop(timeout: .zero)

        // Before start() the stored graph is not rebuilt: the same declaration finds the job, a
        // changed one is refused.
        let second = try first.crashAndRestart(at: Self.at(60), register: false, start: false)
        DAGFunctions().register(Self.functionNames, on: second.scheduler)
        #expect(try second.scheduler.scheduleDependencyJob(key: "etl.clean", name: "clean", function: "clean", dependsOn: [graph.extract]) == graph.clean)
        let early = reason { try second.scheduler.scheduleDependencyJob(key: "etl.clean", name: "clean", function: "clean.v2", dependsOn: [graph.extract]) }
        #expect(early == "the stored graph is rebuilt by start(); declare changed DAG jobs after it")
        second.scheduler.start()
        #expect(try second.scheduler.scheduleDependencyJob(key: "etl.clean", name: "clean", function: "clean.v2", dependsOn: [graph.extract]) == graph.clean)
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func removingADAGJobFreesItsKey() async throws {
        let harness = Self.started(try PersistentHarness(register: false, start: false), DAGFunctions())
        let graph = try Self.declare(on: harness.scheduler)
        #expect(try harness.scheduler.cancel(graph.load))
        #expect(harness.scheduler.jobID(forKey: "etl.load") == nil)
        let again = try harness.scheduler.scheduleDependencyJob(key: "etl.load", name: "load", function: "load", dependsOn: [graph.clean])
        #expect(again != graph.load)
        #expect(harness.scheduler.jobID(forKey: "etl.load") == again)
        #expect(harness.scheduler.store.document.dag.jobs[again]?.key == "etl.load")
        await harness.scheduler.stop(timeout: .zero)
    }

    /// Concurrent declarations of one key make one DAG job.
    @Test func concurrentDeclarationsOfOneKeyMakeOneDAGJob() async throws {
        let harness = Self.started(try PersistentHarness(register: false, start: false), DAGFunctions())
        let scheduler = harness.scheduler
        let ids = await withTaskGroup(of: JobID?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try? scheduler.scheduleDependencyJob(key: "root", name: "root", function: "extract", trigger: ManualTrigger())
                }
            }
            var ids = Set<JobID?>()
            for await id in group { ids.insert(id) }
            return ids
        }
        #expect(ids.count == 1 && ids.first! != nil)
        #expect(harness.scheduler.store.document.dag.jobs.count == 1)
        await harness.scheduler.stop(timeout: .zero)
    }

    static let manual = SchedulerValueCoding.json(TriggerDescription(ManualTrigger())!)

    /// Jobs and DAG jobs share one key namespace, in changes and in snapshots.
    @Test func aKeyHeldByTwoJobsOrDAGJobsIsRefusedAsDamage() throws {
        let root = PersistedDAGJob(id: JobID(rawValue: 1), name: "a", key: "k", function: "f", trigger: Self.manual)
        let other = PersistedDAGJob(id: JobID(rawValue: 2), name: "b", key: "k", function: "f", trigger: Self.manual)
        let plain = PersistedJob(id: JobID(rawValue: 3), name: "c", key: "k", function: "f", trigger: Self.manual)
        var document = StateDocument()
        try document.apply(.dag(.putJob(root)))
        #expect(throws: PersistenceError.invalidChange(reason: "job 2 has the key \"k\" of job 1")) { try document.apply(.dag(.putJob(other))) }
        #expect(throws: PersistenceError.invalidChange(reason: "job 3 has the key \"k\" of job 1")) { try document.apply(.putJob(plain)) }
        #expect(throws: PersistenceError.invalidChange(reason: "job 3 has the key \"k\" of job 1")) {
            try document.apply([.reserveJobIDs(9), .putJob(plain)])
        }
        // A key freed earlier in a record can be taken later in it.
        try document.apply([.dag(.removeJob(root.id)), .dag(.putJob(other))])
        #expect(document.jobKeys == ["k": other.id])
        try document.apply([.dag(.removeJob(other.id)), .putJob(plain)])
        #expect(document.jobKeys == ["k": plain.id])

        // In a snapshot written by hand: a job and a DAG job with one key, and an empty DAG key.
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path)
        try store.commit([.putJob(plain)])
        try store.compact()
        store.close()
        let snapshot = try String(contentsOfFile: path, encoding: .utf8)
        func withDAGJob(_ job: PersistedDAGJob) -> String {
            var writer = JSONWriter()
            job.write(to: &writer)
            return snapshot.replacingOccurrences(of: "\"pipelineRuns\":", with: "\"dagJobs\":[" + String(decoding: writer.bytes, as: UTF8.self) + "],\"pipelineRuns\":")
        }
        let shared = withDAGJob(root)
        #expect(shared != snapshot)
        try shared.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PersistenceError.corruptSnapshot(file: path, reason: "jobs 1 and 3 have the same key \"k\"")) { try StateStore(path: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == shared, "left byte-identical")
        var unnamed = root
        unnamed.key = ""
        try withDAGJob(unnamed).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PersistenceError.self) { try StateStore(path: path) }
        unnamed.key = "other"
        try withDAGJob(unnamed).write(toFile: path, atomically: true, encoding: .utf8)
        let reopened = try StateStore(path: path)
        #expect(reopened.document.jobKeys == ["k": plain.id, "other": root.id], "a DAG job's key reads back")
        reopened.close()
    }
}
