import Foundation
import KairosTesting
import Testing

@testable import Kairos

/// `schedule(key:…)` is an upsert: declaring the same job at every start-up keeps one job, with
/// its counters and next due date; a changed declaration updates it.
@Suite("Job keys", .timeLimit(.minutes(1)))
struct JobKeyTests {
    static let t0 = utcDate("2026-01-01T00:00:00Z")
    static func everyMinute() -> IntervalTrigger { try! IntervalTrigger(every: .seconds(60)) }

    /// Declares the job of the README's example (an unanchored interval), runs it twice, then
    /// restarts and declares it again.
    @Test func theSameDeclarationAfterARestartKeepsTheJobItsCountersAndItsNextDueDate() async throws {
        let first = try PersistentHarness()
        let id = try first.scheduler.schedule(
            key: "tick", name: "tick", function: "record", arguments: ["n": 1],
            trigger: Self.everyMinute(), options: JobOptions(misfire: .runLatest))
        for minute in 1...2 {
            first.clock.advance(to: Self.t0.addingTimeInterval(Double(minute) * 60))
            await first.recorder.waitUntil(count: minute)
            await first.settle()
        }
        try await first.waitUntilPersisted { $0.jobs[id]?.counters.runs == 2 }
        await first.scheduler.stop(timeout: .zero)

        // Restarted before the next due date (00:03), and declared again at 00:02:30.
        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(150))
        let journalBefore = second.fileSystem.files[PersistentHarness.path + ".journal"]
        let again = try second.scheduler.schedule(
            key: "tick", name: "tick", function: "record", arguments: ["n": 1],
            trigger: Self.everyMinute(), options: JobOptions(misfire: .runLatest))
        #expect(again == id)
        #expect(second.scheduler.jobs().count == 1)
        let job = try #require(second.scheduler.job(key: "tick"))
        #expect(job.counters.runs == 2)
        #expect(job.nextFireDate == Self.t0.addingTimeInterval(180))
        #expect(second.fileSystem.files[PersistentHarness.path + ".journal"] == journalBefore ? true : false, "nothing was written")
        #expect(second.scheduler.jobID(forKey: "tick") == id)
        await second.scheduler.stop(timeout: .zero)
    }

    /// `jobKeys` and `declaration(forKey:)` read what the state holds, restored or not (for code
    /// that manages keyed jobs from outside, such as the HTTP API).
    @Test func theKeysAndDeclarationsAreReadableRestoredOrNot() async throws {
        let first = try PersistentHarness()
        let id = try first.scheduler.schedule(
            key: "report", name: "weekly report", function: "record", arguments: ["to": "ops"], trigger: Self.everyMinute())
        try first.scheduler.schedule(name: "unkeyed", function: "record", trigger: Self.everyMinute())
        #expect(first.scheduler.jobKeys == ["report": id])
        let declared = try #require(first.scheduler.declaration(forKey: "report"))
        #expect(declared.name == "weekly report")
        #expect(declared.function == "record")
        #expect(declared.arguments == ["to": "ops"])
        #expect(first.scheduler.declaration(forKey: "absent")?.name == nil)
        await first.scheduler.stop(timeout: .zero)
        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(30), start: false)
        #expect(second.scheduler.jobKeys == ["report": id])
        #expect(second.scheduler.declaration(forKey: "report")?.arguments == ["to": "ops"])
        second.scheduler.start()
        #expect(try second.scheduler.cancel(id))
        #expect(second.scheduler.jobKeys.isEmpty)
        #expect(second.scheduler.declaration(forKey: "report")?.name == nil)
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func aDeclarationBeforeStartFindsTheStoredJobAndStartRestoresItOnce() async throws {
        let first = try PersistentHarness()
        let id = try first.scheduler.schedule(key: "tick", function: "record", trigger: Self.everyMinute())
        await first.scheduler.stop(timeout: .zero)
        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(30), start: false)
        #expect(try second.scheduler.schedule(key: "tick", function: "record", trigger: Self.everyMinute()) == id)
        second.scheduler.start()
        #expect(second.scheduler.jobs().map(\.id) == [id])
        #expect(second.scheduler.job(id)?.nextFireDate == Self.t0.addingTimeInterval(60))
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func aChangedTriggerOrArgumentsUpdateTheJobInPlace() async throws {
        let harness = try PersistentHarness()
        let id = try harness.scheduler.schedule(key: "report", function: "record", arguments: ["to": "a"], trigger: Self.everyMinute())
        harness.clock.advance(to: Self.t0.addingTimeInterval(60))
        await harness.recorder.waitUntil(count: 1)
        await harness.settle()
        try await harness.waitUntilPersisted { $0.jobs[id]?.counters.runs == 1 }

        let hourly = try IntervalTrigger(every: .seconds(3600), startingAt: Self.t0.addingTimeInterval(3600))
        let updated = try harness.scheduler.schedule(key: "report", function: "record", arguments: ["to": "b"], trigger: hourly)
        #expect(updated == id)
        let job = try #require(harness.scheduler.job(id))
        #expect(job.counters.runs == 1)
        #expect(job.nextFireDate == Self.t0.addingTimeInterval(3600))
        let stored = try #require(harness.scheduler.store.document.jobs[id])
        #expect(stored.arguments == ["to": "b"])
        #expect(stored.key == "report")
        #expect(stored.trigger == SchedulerValueCoding.json(TriggerDescription(hourly)!))

        // The next run gets the new arguments, and a restart keeps the update.
        let received = RunRecorder()
        harness.scheduler.register("record") { context, arguments in
            if arguments == ["to": "b"] { received.record(context) }
        }
        harness.clock.advance(to: Self.t0.addingTimeInterval(3600))
        await received.waitUntil(count: 1)
        await harness.scheduler.stop(timeout: .zero)
        let restarted = try harness.crashAndRestart(at: Self.t0.addingTimeInterval(3700))
        #expect(try restarted.scheduler.schedule(key: "report", function: "record", arguments: ["to": "b"], trigger: hourly) == id)
        #expect(restarted.scheduler.jobs().count == 1)
        await restarted.scheduler.stop(timeout: .zero)
    }

    @Test func changedOptionsReplaceTheJobUnderTheSameKeyKeepingItsCountersAndDueDates() async throws {
        let harness = try PersistentHarness()
        let id = try harness.scheduler.schedule(key: "report", name: "report", function: "record", trigger: Self.everyMinute())
        harness.clock.advance(to: Self.t0.addingTimeInterval(60))
        await harness.recorder.waitUntil(count: 1)
        await harness.settle()
        try await harness.waitUntilPersisted { $0.jobs[id]?.counters.runs == 1 }

        let replacement = try harness.scheduler.schedule(
            key: "report", name: "report", function: "record",
            trigger: Self.everyMinute(), options: JobOptions(priority: 5))
        #expect(replacement != id)
        #expect(harness.scheduler.jobID(forKey: "report") == replacement)
        let job = try #require(harness.scheduler.job(replacement))
        #expect(job.options.priority == 5)
        #expect(job.counters.runs == 1)
        #expect(job.nextFireDate == Self.t0.addingTimeInterval(120))
        #expect(harness.scheduler.job(id)?.status == .cancelled)
        let document = harness.scheduler.store.document
        #expect(document.jobs.keys.sorted() == [replacement])
        #expect(document.jobKeys == ["report": replacement])
        await harness.scheduler.stop(timeout: .zero)
    }

    @Test func aFinishedJobKeepsItsKeySoAOneShotDeclarationDoesNotRunAgain() async throws {
        let first = try PersistentHarness()
        let once = OnceTrigger(at: Self.t0.addingTimeInterval(60))
        let id = try first.scheduler.schedule(key: "welcome", function: "record", trigger: once)
        first.clock.advance(to: Self.t0.addingTimeInterval(60))
        await first.recorder.waitUntil(count: 1)
        try await first.waitUntilPersisted { $0.jobs[id]?.status == JobStatus.completed.rawValue }
        await first.scheduler.stop(timeout: .zero)

        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(120))
        #expect(try second.scheduler.schedule(key: "welcome", function: "record", trigger: once) == id)
        await second.settle()
        #expect(second.recorder.dueDates.isEmpty)
        #expect(second.scheduler.job(id)?.status == .completed)
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func cancellingAKeyedJobFreesItsKey() async throws {
        let harness = try PersistentHarness()
        let id = try harness.scheduler.schedule(key: "tick", function: "record", trigger: Self.everyMinute())
        #expect(try harness.scheduler.cancel(id))
        #expect(harness.scheduler.jobID(forKey: "tick") == nil)
        let again = try harness.scheduler.schedule(key: "tick", function: "record", trigger: Self.everyMinute())
        #expect(again != id)
        #expect(harness.scheduler.jobID(forKey: "tick") == again)
        await harness.scheduler.stop(timeout: .zero)
    }

    @Test(arguments: [
        ("", "cannot be empty"), (String(repeating: "k", count: 257), "257 bytes"),
        (String(repeating: "é", count: 129), "258 bytes"),
    ])
    func anUnusableKeyIsRefusedAndNothingIsWritten(key: String, reason: String) async throws {
        let harness = try PersistentHarness()
        let files = harness.fileSystem.files
        #expect {
            try harness.scheduler.schedule(key: key, function: "record", trigger: Self.everyMinute())
        } throws: { error in
            guard case .invalidJobKey(key, let text) = error as? PersistentSchedulerError else { return false }
            return text.contains(reason) && "\(error)".contains("invalid job key")
        }
        #expect(harness.fileSystem.files == files)
        #expect(harness.scheduler.jobs().isEmpty)
        // The longest key is accepted.
        let longest = String(repeating: "k", count: PersistentScheduler.maximumKeyLength)
        #expect(throws: Never.self) { try harness.scheduler.schedule(key: longest, function: "record", trigger: Self.everyMinute()) }
        await harness.scheduler.stop(timeout: .zero)
    }

    @Test func concurrentDeclarationsOfOneKeyMakeOneJob() async throws {
        let harness = try PersistentHarness()
        let scheduler = harness.scheduler
        let ids = await withTaskGroup(of: JobID?.self) { group in
            for _ in 0..<8 {
                group.addTask { try? scheduler.schedule(key: "tick", function: "record", trigger: Self.everyMinute()) }
            }
            var ids = Set<JobID?>()
            for await id in group { ids.insert(id) }
            return ids
        }
        #expect(ids.count == 1)
        #expect(scheduler.jobs().count == 1, "no job was replaced, so none is listed as cancelled")
        await scheduler.stop(timeout: .zero)
    }

    /// Declarations of different keys run side by side (their journal appends share fsyncs):
    /// each key still gets one job, and declaring them all again changes nothing.
    @Test func concurrentDeclarationsOfManyKeysMakeOneJobEach() async throws {
        let harness = try PersistentHarness()
        let scheduler = harness.scheduler
        let keys = (0..<16).map { "job-\($0)" }
        func declareAll() async -> [String: Set<JobID?>] {
            await withTaskGroup(of: (String, JobID?).self) { group in
                for key in keys + keys {
                    group.addTask { (key, try? scheduler.schedule(key: key, function: "record", trigger: Self.everyMinute())) }
                }
                var ids: [String: Set<JobID?>] = [:]
                for await (key, id) in group { ids[key, default: []].insert(id) }
                return ids
            }
        }
        let first = await declareAll()
        #expect(first.count == keys.count && first.values.allSatisfy { $0.count == 1 && !$0.contains(nil) })
        #expect(await declareAll() == first)
        #expect(scheduler.jobs().count == keys.count)
        #expect(Set(scheduler.jobKeys.keys) == Set(keys))
        await scheduler.stop(timeout: .zero)
    }

    @Test func aStateWithKeysIsWrittenInFormatVersion3() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path)
        try store.commit([.putJob(StateFixtures.job(1))])
        #expect(try String(contentsOfFile: path + ".journal", encoding: .utf8).contains("\"version\":1}"))
        var keyed = StateFixtures.job(2)
        keyed.key = "nightly"
        try store.commit([.putJob(keyed)])
        store.close()
        // The change that adds the first key compacts into version-3 files, so that a build that
        // predates keys refuses them instead of dropping the keys.
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"version\":3"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"key\":\"nightly\""))
        #expect(try String(contentsOfFile: path + ".journal", encoding: .utf8).contains("\"version\":3}"))
        let reopened = try StateStore(path: path)
        #expect(reopened.document.jobKeys == ["nightly": JobID(rawValue: 2)])
        reopened.close()
    }

    @Test func twoJobsWithOneKeyAreRefusedAsDamage() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        var first = StateFixtures.job(1), second = StateFixtures.job(2)
        first.key = "k"
        second.key = "k"
        var document = StateDocument()
        #expect(throws: PersistenceError.invalidChange(reason: "job 2 has the key \"k\" of job 1")) {
            try document.apply([.putJob(first), .putJob(second)])
        }
        try document.apply(.putJob(first))
        #expect(throws: PersistenceError.self) { try document.apply(.putJob(second)) }

        // In a snapshot written by hand.
        let store = try StateStore(path: path)
        try store.commit([.putJob(first)])
        try store.compact()
        store.close()
        let snapshot = try String(contentsOfFile: path, encoding: .utf8)
        let doubled = snapshot.replacingOccurrences(of: "\"jobs\":[", with: "\"jobs\":[" + Self.json(of: second) + ",")
            .replacingOccurrences(of: "\"nextJobID\":2", with: "\"nextJobID\":3")
        try doubled.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PersistenceError.corruptSnapshot(file: path, reason: "jobs 1 and 2 have the same key \"k\"")) {
            try StateStore(path: path)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == doubled, "left byte-identical")
    }

    static func json(of job: PersistedJob) -> String {
        var writer = JSONWriter()
        job.write(to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
