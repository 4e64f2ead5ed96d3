import Foundation
import Testing

@testable import Kairos

@Suite("State store", .timeLimit(.minutes(1)))
struct StateStoreTests {
    @Test func committedChangesSurviveReopening() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"

        let store = try StateStore(path: path)
        for number in 1...5 { try store.commit([.putJob(StateFixtures.job(UInt64(number), runs: number))]) }
        try store.commit([.removeJob(JobID(rawValue: 2)), .putPipelineRun(StateFixtures.run("r1", stage: 2))])
        try store.commit([.putJob(StateFixtures.job(3, runs: 9, status: "paused"))])
        let expected = store.document
        store.close()

        let reopened = try StateStore(path: path)
        defer { reopened.close() }
        #expect(reopened.document == expected)
        #expect(reopened.document.jobs.keys.sorted().map(\.rawValue) == [1, 3, 4, 5])
        #expect(reopened.document.jobs[JobID(rawValue: 3)]?.status == "paused")
        #expect(reopened.document.nextJobID == 6)
        #expect(reopened.document.sequence == 7)
    }

    @Test func compactionKeepsEveryChangeAndEmptiesTheJournal() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let configuration = StateStore.Configuration(compactionMinimumBytes: 2_000, compactionRatio: 1)

        let store = try StateStore(path: path, configuration: configuration)
        for number in 1...60 { try store.commit([.putJob(StateFixtures.job(UInt64(number % 20 + 1), runs: number))]) }
        let expected = store.document
        store.close()

        let snapshot = try #require(FileManager.default.contents(atPath: path))
        let journal = try #require(FileManager.default.contents(atPath: path + ".journal"))
        #expect(snapshot.count > 2_000)
        #expect(journal.count < snapshot.count * 2)

        let reopened = try StateStore(path: path, configuration: configuration)
        defer { reopened.close() }
        #expect(reopened.document == expected)
    }

    /// By default the journal is compacted once it outgrows a quarter of the snapshot (SPEC §7.3),
    /// so that replaying it never costs more than about half of loading the snapshot.
    @Test func theJournalIsCompactedAtAQuarterOfTheSnapshotByDefault() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path, configuration: StateStore.Configuration(compactionMinimumBytes: 1_000))
        for number in 1...40 { try store.commit([.putJob(StateFixtures.job(UInt64(number)))]) }
        try store.compact()
        let first = try #require(FileManager.default.contents(atPath: path)).count
        var compactions = 0
        for number in 1...40 {
            // Each job grows by its run counters: the snapshot grows with each compaction.
            let snapshot = try #require(FileManager.default.contents(atPath: path)).count
            try store.commit([.putJob(StateFixtures.job(UInt64(number), runs: number))])
            let journal = try #require(FileManager.default.contents(atPath: path + ".journal")).count
            let now = try #require(FileManager.default.contents(atPath: path)).count
            if now != snapshot { compactions += 1 }
            #expect(journal <= max(1_000, now / 4), "a \(journal)-byte journal beside a \(now)-byte snapshot")
        }
        store.close()
        #expect(compactions >= 2, "compacted at \(first / 4) bytes of journal, not \(first)")
    }

    @Test func snapshotIsAVersionedJSONDocument() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path)
        try store.commit([.putJob(StateFixtures.job(7, runs: 2))])
        try store.compact()
        store.close()

        let data = try #require(FileManager.default.contents(atPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["format"] as? String == "kairos-state")
        #expect(object["version"] as? Int == 1)
        let jobs = try #require(object["jobs"] as? [[String: Any]])
        #expect(jobs.first?["id"] as? Int == 7)
        #expect(jobs.first?["function"] as? String == "reports.send")
    }

    @Test func concurrentCommitsAreAllDurable() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in 0..<25 {
                try! store.commit([.putJob(StateFixtures.job(UInt64(worker * 100 + index + 1)))])
            }
        }
        store.close()
        let reopened = try StateStore(path: path)
        defer { reopened.close() }
        #expect(reopened.document.jobs.count == 200)
        #expect(reopened.document.sequence == 200)
    }

    @Test func removingAnUnknownJobIsRefusedAndChangesNothing() throws {
        let fileSystem = SimulatedFileSystem()
        let store = try StateStore(path: "/s/state.json", fileSystem: fileSystem)
        try store.commit([.putJob(StateFixtures.job(1))])
        let before = store.document
        #expect(throws: PersistenceError.invalidChange(reason: "no job 9 to remove")) {
            try store.commit([.putJob(StateFixtures.job(2)), .removeJob(JobID(rawValue: 9))])
        }
        #expect(store.document == before)
        #expect(store.failure == nil)
    }

    @Test func secondOpenOfTheSameStateIsRefusedWhileTheFirstIsOpen() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let first = try StateStore(path: path)
        #expect(throws: PersistenceError.openInThisProcess(file: path)) { try StateStore(path: path) }
        #expect(
            PersistenceError.openInThisProcess(file: path).description
                == "\(path): the state is already open in this process (close the PersistentScheduler that has it open first)")
        first.close()
        let second = try StateStore(path: path)
        second.close()
    }

    @Test func tornLastRecordIsDroppedAndLaterCommitsFollowIt() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path)
        try store.commit([.putJob(StateFixtures.job(1))])
        try store.commit([.putJob(StateFixtures.job(2))])
        store.close()
        let journalURL = URL(fileURLWithPath: path + ".journal")
        var journal = try Data(contentsOf: journalURL)
        let lastLineStart = journal.dropLast().lastIndex(of: 0x0A)! + 1
        journal = journal.prefix(lastLineStart + (journal.count - lastLineStart) / 2)
        try journal.write(to: journalURL)

        let reopened = try StateStore(path: path)
        #expect(reopened.document.jobs.keys.map(\.rawValue) == [1])
        try reopened.commit([.putJob(StateFixtures.job(3))])
        reopened.close()
        let again = try StateStore(path: path)
        defer { again.close() }
        #expect(again.document.jobs.keys.sorted().map(\.rawValue) == [1, 3])
    }

    @Test func failedFsyncStopsTheStoreForGood() throws {
        // Operations 0–4 create the journal (open, write, fsync, rename, directory fsync) and
        // 5 opens it for appending; 6 and 7 are the first commit's write and fsync.
        let fileSystem = SimulatedFileSystem(faultAt: 7, fault: .fail)
        let store = try StateStore(path: "/s/state.json", fileSystem: fileSystem)
        #expect(throws: PersistenceError.self) { try store.commit([.putJob(StateFixtures.job(1))]) }
        let failure = try #require(store.failure)
        guard case .stopped(let file, let reason) = failure else {
            Issue.record("expected .stopped, got \(failure)")
            return
        }
        #expect(file == "/s/state.json.journal")
        #expect(reason.contains("fsync"))
        let operations = fileSystem.operationCount
        #expect(throws: failure) { try store.commit([.putJob(StateFixtures.job(2))]) }
        #expect(fileSystem.operationCount == operations, "nothing is written after a failed fsync")
    }
}
