import Foundation
import Testing

@testable import Kairos

/// SQLite-style crash testing: the scripted mutations are replayed once per mutating file-system
/// call, with a crash or an I/O error injected at that call; the state a restarted process then
/// loads must hold every acknowledged mutation and nothing half-applied, whatever of the
/// unsynced writes the kernel had flushed.
@Suite("Crash points", .timeLimit(.minutes(1)))
struct CrashPointTests {
    static let path = "/state/kairos.json"
    /// Small enough that the script compacts several times.
    static let configuration = StateStore.Configuration(compactionMinimumBytes: 1_500, compactionRatio: 0.5)

    static let script: [[StateChange]] = {
        var script: [[StateChange]] = []
        for number in 1...6 { script.append([.putJob(StateFixtures.job(UInt64(number)))]) }
        script.append([.putJob(StateFixtures.job(3, runs: 1, status: "running"))])
        script.append([.removeJob(JobID(rawValue: 2))])
        script.append([.putPipelineRun(StateFixtures.run("etl-1", stage: 0))])
        script.append([
            .putJob(StateFixtures.job(7)), .removeJob(JobID(rawValue: 4)),
            .putPipelineRun(StateFixtures.run("etl-1", stage: 1)),
        ])
        for runs in 2...5 { script.append([.putJob(StateFixtures.job(5, runs: runs))]) }
        script.append([.removePipelineRun("etl-1")])
        script.append([.reserveJobIDs(40)])
        script.append([.putJob(StateFixtures.job(41, status: "paused"))])
        script.append([.removeJob(JobID(rawValue: 1)), .removeJob(JobID(rawValue: 3))])
        // Dependency data: the first DAG change upgrades the files to format version 2.
        let root = PersistedDAGJob(
            id: JobID(rawValue: 50), name: "root", function: "extract",
            trigger: ["kind": "interval", "seconds": 60, "start": 1_767_225_660])
        let dependent = PersistedDAGJob(
            id: JobID(rawValue: 51), name: "dependent", function: "load",
            options: DependencyJobOptions(triggerRule: .allDone), upstream: [root.id])
        let due = Date(timeIntervalSince1970: 1_767_225_660)
        script.append([.dag(.putJob(root)), .dag(.putJob(dependent))])
        script.append([
            .dag(.rootFired(job: root.id, due: due)),
            .dag(
                .updateRun(
                    due: due,
                    jobs: [
                        PersistedDAGJobRun(id: root.id, phase: .running, attempts: 1),
                        PersistedDAGJobRun(id: dependent.id, phase: .waitingForUpstream, attempts: 0),
                    ],
                    finished: false)),
        ])
        script.append([
            .dag(
                .updateRun(
                    due: due,
                    jobs: [
                        PersistedDAGJobRun(id: root.id, phase: .succeeded, attempts: 1),
                        PersistedDAGJobRun(id: dependent.id, phase: .succeeded, attempts: 1),
                    ],
                    finished: true))
        ])
        script.append([
            .dag(.putJob(PersistedDAGJob(id: JobID(rawValue: 52), name: "late", function: "load", upstream: [root.id]))),
            .dag(.addEdge(job: dependent.id, upstream: JobID(rawValue: 52))),
        ])
        script.append([.dag(.removeJob(dependent.id))])
        // Keyed jobs, as `schedule(key:…)` writes them: the first key upgrades the files to format
        // version 3; a replacement removes the key's job, then adds its successor.
        func keyed(_ number: UInt64, runs: Int = 0) -> PersistedJob {
            var job = StateFixtures.job(number, runs: runs)
            job.key = "nightly report"
            return job
        }
        script.append([.putJob(keyed(60))])
        script.append([.putJob(keyed(60, runs: 1))])
        script.append([.removeJob(JobID(rawValue: 60))])
        script.append([.putJob(keyed(61, runs: 1))])
        // Keyed DAG jobs, as `scheduleDependencyJob(key:…)` writes them: one record per new job,
        // the edges of a changed upstream set in one record, a changed function as a whole job,
        // and a removed job's key declared again.
        let keyedRoot = PersistedDAGJob(
            id: JobID(rawValue: 70), name: "extract", key: "etl.extract", function: "extract",
            trigger: ["kind": "interval", "seconds": 3600, "start": 1_767_225_600])
        var keyedLoad = PersistedDAGJob(id: JobID(rawValue: 71), name: "load", key: "etl.load", function: "load", upstream: [keyedRoot.id])
        let keyedReport = PersistedDAGJob(
            id: JobID(rawValue: 72), name: "report", key: "etl.report", function: "report",
            upstream: [keyedRoot.id])
        script.append([.dag(.putJob(keyedRoot))])
        script.append([.dag(.putJob(keyedLoad))])
        script.append([.dag(.putJob(keyedReport))])
        script.append([.dag(.addEdge(job: keyedLoad.id, upstream: keyedReport.id)), .dag(.removeEdge(job: keyedLoad.id, upstream: keyedRoot.id))])
        keyedLoad.upstream = [keyedReport.id]
        keyedLoad.function = "load.v2"
        script.append([.dag(.putJob(keyedLoad))])
        script.append([.dag(.removeJob(keyedLoad.id))])
        script.append([
            .dag(
                .putJob(
                    PersistedDAGJob(
                        id: JobID(rawValue: 73), name: "load", key: "etl.load", function: "load",
                        upstream: [keyedRoot.id, keyedReport.id])))
        ])
        return script
    }()

    /// The document after each prefix of the script: `expected[j]` holds the first `j` mutations.
    static let expected: [StateDocument] = {
        var document = StateDocument()
        var result = [document]
        for changes in script {
            try! document.apply(changes)
            document.sequence += 1
            result.append(document)
        }
        return result
    }()

    /// Runs the script over `fileSystem` until a mutation fails; returns how many were
    /// acknowledged.
    static func runScript(on fileSystem: SimulatedFileSystem) -> Int {
        guard let store = try? StateStore(path: path, fileSystem: fileSystem, configuration: configuration) else {
            return 0
        }
        var acknowledged = 0
        for changes in script {
            do {
                try store.commit(changes)
                acknowledged += 1
            } catch {
                // A failure stops the store: the next change is refused without touching a file.
                let operations = fileSystem.operationCount
                #expect(store.failure != nil)
                #expect(throws: PersistenceError.self) { try store.commit([.reserveJobIDs(99)]) }
                #expect(fileSystem.operationCount == operations)
                break
            }
        }
        return acknowledged
    }

    @Test func scriptCompactsAndIsLongEnoughToMatter() throws {
        let fileSystem = SimulatedFileSystem()
        #expect(Self.runScript(on: fileSystem) == Self.script.count)
        // Several compactions ran: the journal was replaced by rename more than once.
        let restarted = try StateStore(
            path: Self.path, fileSystem: fileSystem.afterCrash(.loseUnsynced),
            configuration: Self.configuration)
        #expect(restarted.document == Self.expected.last)
        #expect(fileSystem.operationCount > 60)
        #expect(!restarted.document.dag.isEmpty, "the script ends with DAG data")
        #expect(
            restarted.document.jobKeys == [
                "nightly report": JobID(rawValue: 61), "etl.extract": JobID(rawValue: 70),
                "etl.report": JobID(rawValue: 72), "etl.load": JobID(rawValue: 73),
            ],
            "and keyed jobs and DAG jobs")
        #expect(restarted.document.dag.jobs[JobID(rawValue: 73)]?.upstream == [JobID(rawValue: 70), JobID(rawValue: 72)])
        #expect(fileSystem.files[Self.path] != nil, "a snapshot was written")
    }

    @Test(arguments: [SimulatedFileSystem.Fault.crash, .fail])
    func everyFaultPointLeavesAStateThatLoadsWithEveryAcknowledgedChange(fault: SimulatedFileSystem.Fault) throws {
        let clean = SimulatedFileSystem()
        _ = Self.runScript(on: clean)
        let operationCount = clean.operationCount
        var checked = 0
        for faultAt in 0...operationCount {
            for outcome in SimulatedFileSystem.CrashOutcome.allCases {
                let fileSystem = SimulatedFileSystem(faultAt: faultAt, fault: fault)
                let acknowledged = Self.runScript(on: fileSystem)
                let restartedFileSystem = fileSystem.afterCrash(outcome)
                let store: StateStore
                do {
                    store = try StateStore(path: Self.path, fileSystem: restartedFileSystem, configuration: Self.configuration)
                } catch {
                    Issue.record("fault \(fault) at \(faultAt), \(outcome): the state does not load: \(error)")
                    continue
                }
                let loaded = store.document
                let match = Self.expected.firstIndex(of: loaded)
                #expect(match != nil, "fault \(fault) at \(faultAt), \(outcome): not a prefix of the script")
                if let match {
                    #expect(
                        match >= acknowledged,
                        "fault \(fault) at \(faultAt), \(outcome): \(acknowledged) acknowledged, \(match) loaded")
                    #expect(
                        match <= acknowledged + 1,
                        "fault \(fault) at \(faultAt), \(outcome): a change that was never made appeared")
                }
                // The restarted store keeps working on what it recovered (torn tails were cut off).
                do {
                    try store.commit([.reserveJobIDs(1_000)])
                    store.close()
                    let again = try StateStore(
                        path: Self.path, fileSystem: restartedFileSystem.afterCrash(.loseUnsynced),
                        configuration: Self.configuration)
                    #expect(again.document.nextJobID == 1_000)
                    #expect(again.document.jobs == loaded.jobs)
                    #expect(again.document.dag == loaded.dag)
                    checked += 1
                } catch {
                    Issue.record("fault \(fault) at \(faultAt), \(outcome): after recovery: \(error)")
                }
            }
        }
        #expect(checked == (operationCount + 1) * SimulatedFileSystem.CrashOutcome.allCases.count)
    }
}
