import Foundation
import Testing

@testable import Kairos

/// The stored form of dependency graphs: damaged graphs are refused and left untouched, and
/// version-1 states (written before DAG data existed) still load and are upgraded on the first
/// DAG change.
@Suite("Dependency graphs in the state file", .timeLimit(.minutes(1)))
struct PersistentDependencyStateFileTests {
    static let due = Date(timeIntervalSince1970: 1_767_225_660)

    /// a (root) → b → c, with a DAG run in progress in the snapshot; then three journal records.
    static func writeState(at path: String) throws {
        let store = try StateStore(path: path)
        let a = PersistedDAGJob(
            id: JobID(rawValue: 1), name: "a", function: "extract", arguments: ["n": 1],
            trigger: ["kind": "interval", "seconds": 60, "start": 1_767_225_660], first: due)
        let b = PersistedDAGJob(id: JobID(rawValue: 2), name: "b", function: "transform", upstream: [JobID(rawValue: 1)])
        let c = PersistedDAGJob(
            id: JobID(rawValue: 3), name: "c", function: "load",
            options: DependencyJobOptions(triggerRule: .oneFailed, retry: try RetryPolicy(maxAttempts: 3)),
            upstream: [JobID(rawValue: 2)])
        try store.commit([.dag(.putJob(a)), .dag(.putJob(b)), .dag(.putJob(c))])
        try store.commit([
            .dag(.rootFired(job: a.id, due: due)),
            .dag(
                .updateRun(
                    due: due,
                    jobs: [
                        PersistedDAGJobRun(id: a.id, phase: .running, attempts: 1),
                        PersistedDAGJobRun(id: b.id, phase: .waitingForUpstream, attempts: 0),
                    ],
                    finished: false)),
        ])
        try store.compact()
        let d = PersistedDAGJob(id: JobID(rawValue: 4), name: "d", function: "load", upstream: [JobID(rawValue: 3)])
        try store.commit([.dag(.putJob(d))])
        try store.commit([.dag(.updateRun(due: due, jobs: [PersistedDAGJobRun(id: a.id, phase: .succeeded, attempts: 1)], finished: false))])
        try store.commit([.dag(.addEdge(job: d.id, upstream: b.id))])
        store.close()
    }

    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case snapshotUnknownUpstream, snapshotCycle, snapshotBadTriggerRule, snapshotBadRetry, snapshotBadPhase
        case journalEdgeClosesACycle, journalRunNamesUnknownJob, journalRemovesAJobOthersDependOn, journalBadOption

        var testDescription: String { rawValue }

        func apply(to path: String) throws {
            let snapshotURL = URL(fileURLWithPath: path)
            let journalURL = URL(fileURLWithPath: path + ".journal")
            var snapshot = String(decoding: try Data(contentsOf: snapshotURL), as: UTF8.self)
            var lines = String(decoding: try Data(contentsOf: journalURL), as: UTF8.self).components(separatedBy: "\n")
            func replaceInSnapshot(_ old: String, _ new: String) {
                precondition(snapshot.contains(old), "\(old) not in \(snapshot)")
                snapshot = snapshot.replacingOccurrences(of: old, with: new)
            }
            /// Replaces the first record (line 2) with one change, keeping its sequence number.
            func replaceFirstRecord(_ change: String) {
                let sequence = lines[1].firstMatch(of: /"seq":(\d+)/)!.1
                let json = "{\"seq\":\(sequence),\"changes\":[\(change)]}"
                let checksum = String(CRC32.checksum(Array(json.utf8)), radix: 16)
                lines[1] = String(repeating: "0", count: 8 - checksum.count) + checksum + " " + json
            }
            switch self {
            case .snapshotUnknownUpstream: replaceInSnapshot("\"upstream\":[1]", "\"upstream\":[77]")
            case .snapshotCycle: replaceInSnapshot("\"upstream\":[1]", "\"upstream\":[3]")
            case .snapshotBadTriggerRule: replaceInSnapshot("\"oneFailed\"", "\"sometimes\"")
            case .snapshotBadRetry: replaceInSnapshot("\"maxAttempts\":3", "\"maxAttempts\":0")
            case .snapshotBadPhase: replaceInSnapshot("\"waitingForUpstream\"", "\"sprinting\"")
            case .journalEdgeClosesACycle: replaceFirstRecord("{\"op\":\"addDAGEdge\",\"dependent\":2,\"upstream\":3}")
            case .journalRunNamesUnknownJob:
                replaceFirstRecord("{\"op\":\"updateDAGRun\",\"dagRun\":{\"due\":1767225660,\"jobs\":[{\"id\":99,\"phase\":\"running\"}]}}")
            case .journalRemovesAJobOthersDependOn: replaceFirstRecord("{\"op\":\"removeDAGJob\",\"id\":2}")
            case .journalBadOption:
                replaceFirstRecord("{\"op\":\"putDAGJob\",\"dagJob\":{\"id\":5,\"name\":\"e\",\"function\":\"f\",\"upstream\":[1],\"options\":{\"timeout\":-4}}}")
            }
            try Data(snapshot.utf8).write(to: snapshotURL)
            try Data(lines.joined(separator: "\n").utf8).write(to: journalURL)
        }

        /// Whether `error` is the one this damage must produce, naming the right file.
        func isExpected(_ error: PersistenceError, path: String) -> Bool {
            let journalPath = path + ".journal"
            switch (self, error) {
            case (.snapshotUnknownUpstream, .corruptSnapshot(path, let reason)): return reason.contains("job 77, which is not in the graph")
            case (.snapshotCycle, .corruptSnapshot(path, let reason)): return reason.contains("cycle") && reason.contains("\"b\" (2)")
            case (.snapshotBadTriggerRule, .corruptSnapshot(path, let reason)): return reason.contains("sometimes")
            case (.snapshotBadRetry, .corruptSnapshot(path, let reason)): return reason.contains("maxAttempts")
            case (.snapshotBadPhase, .corruptSnapshot(path, let reason)): return reason.contains("sprinting")
            case (.journalEdgeClosesACycle, .corruptJournal(journalPath, 2, let reason)): return reason.contains("cycle")
            case (.journalRunNamesUnknownJob, .corruptJournal(journalPath, 2, let reason)): return reason.contains("job 99")
            case (.journalRemovesAJobOthersDependOn, .corruptJournal(journalPath, 2, let reason)): return reason.contains("depends on it")
            case (.journalBadOption, .corruptJournal(journalPath, 2, let reason)): return reason.contains("timeout")
            default: return false
            }
        }
    }

    @Test func theStateWrittenForTheDamageTestsLoads() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Self.writeState(at: path)
        let store = try StateStore(path: path)
        defer { store.close() }
        let dag = store.document.dag
        #expect(dag.jobs.count == 4)
        #expect(dag.jobs[JobID(rawValue: 4)]?.upstream == [JobID(rawValue: 3), JobID(rawValue: 2)])
        #expect(dag.runs[Self.due]?.jobs.mapValues(\.phase) == [JobID(rawValue: 1): .succeeded, JobID(rawValue: 2): .waitingForUpstream])
        #expect(dag.jobs[JobID(rawValue: 1)]?.history.map(\.state) == [.succeeded], "a finished phase enters the history")
        #expect(dag.jobs[JobID(rawValue: 1)]?.last == Self.due)
        #expect(store.document.nextJobID == 5)
    }

    @Test func aStoredCycleIsNamedFromOneOfItsJobsBackToItself() {
        func job(_ id: UInt64, _ name: String, _ upstream: [UInt64], root: Bool = false) -> PersistedDAGJob {
            PersistedDAGJob(
                id: JobID(rawValue: id), name: name, function: "f", trigger: root ? ["kind": "manual"] : nil,
                upstream: upstream.map(JobID.init(rawValue:)))
        }
        // a → c → b → a, with d downstream of the cycle and a also fed by the root.
        let jobs = [job(1, "root", [], root: true), job(2, "a", [1, 4]), job(3, "b", [2]), job(4, "c", [3]), job(5, "d", [4])]
        let (dag, problem) = PersistedDAG.checked(jobs: jobs, runs: [])
        #expect(dag == nil)
        #expect(problem == "the DAG edges close a cycle: \"a\" (2) → \"c\" (4) → \"b\" (3) → \"a\" (2)")
        let (acyclic, none) = PersistedDAG.checked(jobs: [job(1, "root", [], root: true), job(2, "a", [1]), job(3, "b", [1, 2])], runs: [])
        #expect(none == nil && acyclic?.jobs.count == 3)
    }

    @Test(arguments: Damage.allCases)
    func aDamagedGraphIsRefusedAndLeftByteIdentical(damage: Damage) throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Self.writeState(at: path)
        try damage.apply(to: path)
        let before = StateFixtures.contents(of: directory)
        do {
            _ = try PersistentScheduler(stateFile: path)
            Issue.record("the damaged state opened")
        } catch {
            guard case .persistence(let persistence) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            #expect(damage.isExpected(persistence, path: path), "unexpected error: \(persistence)")
            #expect(error.description.hasPrefix(path), "the message names the file: \(error)")
        }
        #expect(StateFixtures.contents(of: directory) == before, "the files were left byte-identical")
    }

    static func line(_ json: String) -> String {
        let checksum = String(CRC32.checksum(Array(json.utf8)), radix: 16)
        return String(repeating: "0", count: 8 - checksum.count) + checksum + " " + json + "\n"
    }

    /// Files as a build without dependency persistence wrote them.
    static let versionOneSnapshot = """
        {"format":"kairos-state","version":1,"sequence":1,"nextJobID":2,\
        "jobs":[{"id":1,"name":"old","function":"record","trigger":{"kind":"manual"},"status":"pending","counters":{"runs":2}}],\
        "pipelineRuns":[]}

        """
    static let versionOneJournal =
        line(#"{"format":"kairos-journal","version":1}"#)
        + line(#"{"seq":2,"changes":[{"op":"reserveJobIDs","next":5}]}"#)

    @Test func aVersionOneStateLoadsAndIsUpgradedByItsFirstDAGChange() async throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Data(Self.versionOneSnapshot.utf8).write(to: URL(fileURLWithPath: path))
        try Data(Self.versionOneJournal.utf8).write(to: URL(fileURLWithPath: path + ".journal"))
        func fileText(_ suffix: String = "") -> String {
            String(decoding: FileManager.default.contents(atPath: path + suffix) ?? Data(), as: UTF8.self)
        }
        let configuration = PersistentScheduler.Configuration(scheduler: .init(clock: ManualClock(now: PersistentDependencyTests.t0)))

        let first = try PersistentScheduler(stateFile: path, configuration: configuration)
        first.register("record") { _, _ in }
        first.start()
        #expect(first.job(JobID(rawValue: 1))?.counters.runs == 2, "the version-1 job is restored")
        try first.schedule(name: "plain", function: "record", trigger: ManualTrigger())
        #expect(fileText(".journal").contains(#""version":1"#), "a state without DAG data stays version 1")
        #expect(fileText().contains(#""version":1"#))

        let root = try first.scheduleDependencyJob(name: "root", function: "record", trigger: ManualTrigger())
        #expect(root.rawValue >= 5, "DAG job IDs come from the same sequence")
        #expect(fileText().contains(#""version":2"#), "the first DAG change writes a version-2 snapshot")
        #expect(fileText().contains(#""dagJobs""#))
        #expect(fileText(".journal").contains(#""version":2"#))
        let dependent = try first.scheduleDependencyJob(name: "dependent", function: "record", dependsOn: [root])
        #expect(fileText(".journal").contains("putDAGJob"), "later DAG changes are journal records")
        await first.stop(timeout: .zero)
        first.close()

        let second = try PersistentScheduler(stateFile: path, configuration: configuration)
        second.register("record") { _, _ in }
        second.start()
        #expect(second.upstream(of: dependent) == [root])
        #expect(second.job(JobID(rawValue: 1))?.name == "old")
        #expect(second.jobs().contains { $0.name == "plain" })
        await second.stop(timeout: .zero)
        second.close()
    }
}
