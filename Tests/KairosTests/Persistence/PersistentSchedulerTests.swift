import Foundation
import KairosTesting
import Synchronization
import Testing

@testable import Kairos

/// A persistent scheduler over a simulated file system and a manual clock, and the means to
/// "crash" it: `restart` reopens the state from what had been fsynced.
final class PersistentHarness: Sendable {
    static let path = "/state/jobs.json"
    let fileSystem: SimulatedFileSystem
    let clock: ManualClock
    let scheduler: PersistentScheduler
    let recorder = RunRecorder()

    init(
        fileSystem: SimulatedFileSystem = SimulatedFileSystem(), at date: Date = utcDate("2026-01-01T00:00:00Z"),
        register: Bool = true, start: Bool = true
    ) throws {
        self.fileSystem = fileSystem
        clock = ManualClock(now: date)
        scheduler = try PersistentScheduler(
            stateFile: Self.path,
            configuration: .init(scheduler: .init(maxConcurrentJobs: 4, clock: clock)),
            fileSystem: fileSystem)
        if register { registerRecorder() }
        if start { scheduler.start() }
    }

    func registerRecorder() {
        let recorder = self.recorder
        scheduler.register("record") { context, _ in recorder.record(context) }
    }

    /// The process dies now (only fsynced data survives) and a new one opens the state at `date`.
    func crashAndRestart(at date: Date, register: Bool = true, start: Bool = true) throws -> PersistentHarness {
        try PersistentHarness(fileSystem: fileSystem.afterCrash(.loseUnsynced), at: date, register: register, start: start)
    }

    func settle() async { await scheduler.scheduler.waitUntilIdle() }

    /// Waits until the state holds what `condition` checks and it is durable. Changes made by the
    /// scheduler itself (a run's end, a misfire) are recorded by the observer just after the
    /// scheduler's step, so they may reach the disk a moment after the scheduler looks idle.
    func waitUntilPersisted(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @escaping (StateDocument) -> Bool
    ) async throws {
        await eventually("the state to be persisted", sourceLocation: sourceLocation) { condition(self.scheduler.store.document) }
        try scheduler.store.waitUntilDurable()
    }
}

@Suite("PersistentScheduler", .timeLimit(.minutes(1)))
struct PersistentSchedulerTests {
    static let t0 = utcDate("2026-01-01T00:00:00Z")

    static let triggers: [(String, any Trigger)] = [
        ("once", OnceTrigger(at: utcDate("2026-01-02T00:00:00Z"))),
        ("interval", try! IntervalTrigger(every: .seconds(90), startingAt: utcDate("2026-01-01T00:00:30Z"), until: utcDate("2027-01-01T00:00:00Z"), repeatCount: 500)),
        ("interval anchored at schedule", try! IntervalTrigger(every: .seconds(3600))),
        ("cron", try! CronTrigger("*/15 9-17 * * mon-fri", timeZone: TimeZone(identifier: "America/New_York")!)),
        (
            "cron with bounds",
            try! CronTrigger("0 0 L * *", timeZone: TimeZone(identifier: "Europe/Paris")!, startingAt: utcDate("2026-02-01T00:00:00Z"), until: utcDate("2026-12-31T00:00:00Z"))
        ),
        ("event", SignalTrigger(key: "upload-done")),
        ("manual", ManualTrigger()),
        ("jittered", try! JitteredTrigger(try! IntervalTrigger(every: .seconds(600)), maxJitter: .seconds(30))),
    ]

    static let options: [JobOptions] = [
        JobOptions(),
        JobOptions(maxRuns: 5, priority: 7, overlap: .bufferOne, misfire: .runEarliest, timeout: .seconds(12.5)),
        JobOptions(overlap: .bufferAll(limit: 3), misfire: MisfirePolicy(catchUpWindow: .seconds(600), mode: .runAll), runOnStart: true),
        JobOptions(overlap: .cancelOther, misfire: .skip),
        JobOptions(overlap: .allowAll(limit: 2), misfire: MisfirePolicy(catchUpWindow: .seconds(60), mode: .runLatest)),
    ]

    @Test(arguments: triggers.indices, options.indices)
    func everyTriggerAndPolicySurvivesARestart(triggerIndex: Int, optionsIndex: Int) async throws {
        let (label, trigger) = Self.triggers[triggerIndex]
        let first = try PersistentHarness(start: false)
        let id = try first.scheduler.schedule(
            name: "job \(label)", function: "record", arguments: ["n": 1, "tags": ["x"]],
            trigger: trigger, options: Self.options[optionsIndex])
        let before = try #require(first.scheduler.job(id))

        let second = try first.crashAndRestart(at: Self.t0, start: false)
        second.scheduler.start()
        let after = try #require(second.scheduler.job(id), "job \(label) restored")
        #expect(after.name == before.name)
        #expect(after.triggerDescription == before.triggerDescription)
        #expect(after.options == before.options)
        #expect(after.nextFireDate == before.nextFireDate)
        #expect(second.scheduler.unrestoredJobs.isEmpty)
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func jobIDsAreNotReusedAfterARestart() async throws {
        let first = try PersistentHarness()
        let a = try first.scheduler.schedule(function: "record", trigger: ManualTrigger())
        let b = try first.scheduler.schedule(function: "record", trigger: ManualTrigger())
        try first.scheduler.cancel(b)
        let second = try first.crashAndRestart(at: Self.t0)
        let c = try second.scheduler.schedule(function: "record", trigger: ManualTrigger())
        #expect(c > b && b > a)
        #expect(second.scheduler.job(b) == nil, "a cancelled job is removed from the state")
    }

    @Test func cancelPauseResumeAndRescheduleAreDurable() async throws {
        let first = try PersistentHarness()
        let hourly = try IntervalTrigger(every: .seconds(3600), startingAt: Self.t0.addingTimeInterval(3600))
        let cancelled = try first.scheduler.schedule(name: "c", function: "record", trigger: hourly)
        let paused = try first.scheduler.schedule(name: "p", function: "record", trigger: hourly)
        let resumed = try first.scheduler.schedule(name: "r", function: "record", trigger: hourly)
        let moved = try first.scheduler.schedule(name: "m", function: "record", trigger: hourly)
        try first.scheduler.cancel(cancelled)
        try first.scheduler.pause(paused)
        try first.scheduler.pause(resumed)
        try first.scheduler.resume(resumed)
        let daily = try CronTrigger("0 6 * * *", timeZone: .gmt)
        try first.scheduler.reschedule(moved, trigger: daily)

        let second = try first.crashAndRestart(at: Self.t0, start: true)
        #expect(second.scheduler.job(cancelled) == nil)
        #expect(second.scheduler.job(paused)?.status == .paused)
        #expect(second.scheduler.job(resumed)?.status == .pending)
        #expect(second.scheduler.job(moved)?.triggerDescription == TriggerDescription(daily))
        #expect(second.scheduler.job(moved)?.nextFireDate == utcDate("2026-01-01T06:00:00Z"))
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func runCountersAndFireDatesArePersistedAsRunsFinish() async throws {
        let first = try PersistentHarness()
        let id = try first.scheduler.schedule(function: "record", trigger: try IntervalTrigger(every: .seconds(60), startingAt: Self.t0.addingTimeInterval(60)))
        for minute in 1...3 {
            first.clock.advance(to: Self.t0.addingTimeInterval(Double(minute) * 60))
            await first.recorder.waitUntil(count: minute)
            await first.settle()
        }
        try await first.waitUntilPersisted { $0.jobs[id]?.counters.runs == 3 }
        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(200), start: false)
        second.scheduler.start()
        let job = try #require(second.scheduler.job(id))
        #expect(job.counters.runs == 3)
        #expect(job.lastDueDate == Self.t0.addingTimeInterval(180))
        #expect(job.nextFireDate == Self.t0.addingTimeInterval(240))
        await first.scheduler.stop(timeout: .zero)
        await second.scheduler.stop(timeout: .zero)
    }

    /// A job due every minute from 00:01, last run at 00:01; the process is down until 00:10:30.
    @Test(arguments: [
        (MisfirePolicy.runLatest, ["00:10"], 8),
        (MisfirePolicy.runEarliest, ["00:02"], 8),
        (MisfirePolicy.runAll, ["00:02", "00:03", "00:04", "00:05", "00:06", "00:07", "00:08", "00:09", "00:10"], 0),
        (MisfirePolicy.skip, [], 9),
        (MisfirePolicy(catchUpWindow: .seconds(120), mode: .runAll), ["00:09", "00:10"], 7),
    ])
    func fireTimesMissedWhileDownFollowTheMisfirePolicy(policy: MisfirePolicy, expectedRuns: [String], expectedMissed: Int) async throws {
        let first = try PersistentHarness()
        let id = try first.scheduler.schedule(
            function: "record", trigger: try IntervalTrigger(every: .seconds(60), startingAt: Self.t0.addingTimeInterval(60)),
            options: JobOptions(misfire: policy))
        first.clock.advance(to: Self.t0.addingTimeInterval(60))
        await first.recorder.waitUntil(count: 1)
        await first.settle()
        // The run is recorded after it ends, asynchronously: the crash comes once it is durable.
        try await first.waitUntilPersisted { $0.jobs[id]?.counters.runs == 1 }

        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(630), start: false)
        second.scheduler.start()
        await second.recorder.waitUntil(count: expectedRuns.count)
        await second.settle()
        let times = second.recorder.dueDates.map { Self.minuteText($0) }
        #expect(times == expectedRuns)
        #expect(second.scheduler.job(id)?.counters.missed == expectedMissed)
        #expect(second.scheduler.job(id)?.nextFireDate == Self.t0.addingTimeInterval(660))
        // The catch-up is itself durable.
        try await second.waitUntilPersisted {
            $0.jobs[id]?.counters.missed == expectedMissed && $0.jobs[id]?.counters.runs == 1 + expectedRuns.count
        }
        let third = try second.crashAndRestart(at: Self.t0.addingTimeInterval(640), start: false)
        third.scheduler.start()
        #expect(third.scheduler.job(id)?.counters.missed == expectedMissed)
        #expect(third.scheduler.job(id)?.counters.runs == 1 + expectedRuns.count)
        for harness in [first, second, third] { await harness.scheduler.stop(timeout: .zero) }
    }

    static func minuteText(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince(t0))
        return String(format: "%02d:%02d", seconds / 3600, seconds / 60 % 60)
    }

    @Test func runInFlightAtACrashRunsAgainWithTheSameIdempotencyKey() async throws {
        let first = try PersistentHarness(register: false)
        let gate = Gate()
        let started = RunRecorder()
        first.scheduler.register("slow") { context, _ in
            started.record(context)
            await gate.wait()
        }
        let id = try first.scheduler.schedule(function: "slow", trigger: OnceTrigger(at: Self.t0.addingTimeInterval(30)))
        first.clock.advance(by: .seconds(30))
        await started.waitUntil(count: 1)

        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(90), register: false, start: false)
        let rerun = RunRecorder()
        let contexts = Mutex<[Int]>([])
        second.scheduler.register("slow") { context, _ in
            contexts.withLock { $0.append(context.attempt) }
            rerun.record(context)
        }
        second.scheduler.start()
        await rerun.waitUntil(count: 1)
        await second.settle()
        #expect(rerun.idempotencyKeys == started.idempotencyKeys)
        #expect(rerun.dueDates == [Self.t0.addingTimeInterval(30)])
        #expect(contexts.withLock { $0 } == [2])

        // Once the rerun finished, a further restart runs nothing again.
        try await second.waitUntilPersisted { $0.jobs[id]?.inFlight.isEmpty == true && $0.jobs[id]?.counters.runs == 1 }
        let third = try second.crashAndRestart(at: Self.t0.addingTimeInterval(120), register: false, start: false)
        let recorder = third.recorder
        third.scheduler.register("slow") { context, _ in recorder.record(context) }
        third.scheduler.start()
        await third.settle()
        #expect(third.recorder.count == 0)
        #expect(third.scheduler.job(id)?.status == .completed)
        #expect(third.scheduler.job(id)?.counters.runs == 1)
        gate.open()
        for harness in [first, second, third] { await harness.scheduler.stop(timeout: .zero) }
    }

    @Test func eventRunInFlightAtACrashRunsAgainWithItsPayload() async throws {
        let first = try PersistentHarness(register: false)
        let gate = Gate()
        let started = RunRecorder()
        first.scheduler.register("ingest") { context, _ in
            started.record(context)
            await gate.wait()
        }
        let id = try first.scheduler.schedule(function: "ingest", trigger: SignalTrigger(key: "upload-done"))
        let payload: JSONValue = ["file": "2026-01-01.csv", "bytes": 1_048_576, "tags": ["eu", nil, true]]
        first.scheduler.send(signal: "upload-done", payload: payload)
        await started.waitUntil(count: 1)
        try await first.waitUntilPersisted { $0.jobs[id]?.inFlight.first?.payload == payload }

        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(60), register: false, start: false)
        let payloads = Mutex<[JSONValue?]>([])
        let rerun = RunRecorder()
        second.scheduler.register("ingest") { context, _ in
            payloads.withLock { $0.append(context.payload) }
            rerun.record(context)
        }
        second.scheduler.start()
        await rerun.waitUntil(count: 1)
        await second.settle()
        #expect(payloads.withLock { $0 } == [payload])
        #expect(rerun.idempotencyKeys == started.idempotencyKeys)
        try await second.waitUntilPersisted { $0.jobs[id]?.inFlight.isEmpty == true }
        gate.open()
        for harness in [first, second] { await harness.scheduler.stop(timeout: .zero) }
    }

    @Test func jobWithAnUnregisteredFunctionIsKeptReportedAndRunsOnceRegistered() async throws {
        let first = try PersistentHarness()
        let id = try first.scheduler.schedule(
            name: "nightly", function: "record", arguments: ["keep": true],
            trigger: try IntervalTrigger(every: .seconds(60), startingAt: Self.t0.addingTimeInterval(60)))
        let second = try first.crashAndRestart(at: Self.t0.addingTimeInterval(30), register: false)
        #expect(second.scheduler.unrestoredJobs == [UnrestoredJob(id: id, name: "nightly", function: "record", reason: .functionNotRegistered)])
        #expect(second.scheduler.job(id) == nil)
        second.clock.advance(by: .seconds(60))
        await second.settle()
        #expect(second.recorder.count == 0)

        // Still kept after another restart without the function.
        let third = try second.crashAndRestart(at: Self.t0.addingTimeInterval(100), register: false)
        #expect(third.scheduler.unrestoredJobs.map(\.id) == [id])
        third.registerRecorder()
        #expect(third.scheduler.unrestoredJobs.isEmpty)
        await third.recorder.waitUntil(count: 1)
        #expect(third.recorder.dueDates == [Self.t0.addingTimeInterval(60)], "the missed fire runs per the misfire policy")
        for harness in [first, second, third] { await harness.scheduler.stop(timeout: .zero) }
    }

    @Test func cancellingAnUnrestoredJobRemovesItFromTheState() async throws {
        let first = try PersistentHarness()
        let kept = try first.scheduler.schedule(name: "kept", function: "record", trigger: ManualTrigger())
        let dropped = try first.scheduler.schedule(name: "dropped", function: "record", trigger: ManualTrigger())
        let second = try first.crashAndRestart(at: Self.t0, register: false)
        #expect(Set(second.scheduler.unrestoredJobs.map(\.id)) == [kept, dropped])
        #expect(try second.scheduler.cancel(dropped))
        #expect(second.scheduler.unrestoredJobs.map(\.id) == [kept])

        let third = try second.crashAndRestart(at: Self.t0)
        #expect(third.scheduler.unrestoredJobs.isEmpty)
        #expect(third.scheduler.job(kept)?.name == "kept")
        #expect(third.scheduler.job(dropped) == nil, "the cancel was durable")
        for harness in [first, second, third] { await harness.scheduler.stop(timeout: .zero) }
    }

    static let unrebuildable: [(trigger: JSONValue, options: JSONValue, reason: String)] = [
        (["kind": "cron", "expression": "0 9 * * *", "timeZone": "Mars/Olympus_Mons"], [:], "Mars/Olympus_Mons"),
        (["kind": "cron", "expression": "0 9 * * *", "timeZone": "UTC", "start": 1_800_000_000, "end": 1_700_000_000], [:], "until"),
        (["kind": "jittered", "maxJitter": 1e300, "base": ["kind": "manual"]], [:], "maxJitter"),
        (["kind": "interval", "seconds": -5], [:], "every"),
        (["kind": "manual"], ["timeout": 1e300], "timeout"),
        (["kind": "manual"], ["misfire": ["mode": "runAll", "window": -1e300]], "misfire.window"),
        (["kind": "manual"], ["overlap": ["kind": "allowAll", "limit": 0]], "allowAll"),
    ]

    @Test(arguments: unrebuildable)
    func jobWhoseStoredTriggerOrOptionsCannotBeRebuiltIsKeptAndReportedAsInvalid(
        trigger: JSONValue, options: JSONValue, reasonNames: String
    ) async throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        var job = StateFixtures.job(1)
        job.function = "record"
        job.trigger = trigger
        job.options = options
        let store = try StateStore(path: path)
        try store.commit([.putJob(job)])
        store.close()

        let scheduler = try PersistentScheduler(stateFile: path, configuration: .init(scheduler: .init(clock: ManualClock(now: Self.t0))))
        scheduler.register("record") { _, _ in }
        scheduler.start()
        let unrestored = try #require(scheduler.unrestoredJobs.first)
        #expect(scheduler.unrestoredJobs.count == 1 && unrestored.id == job.id && unrestored.function == "record")
        guard case .invalid(let reason) = unrestored.reason else {
            Issue.record("expected an invalid job, got \(unrestored.reason)")
            return
        }
        #expect(reason.contains(reasonNames), "\(reason)")
        #expect(scheduler.job(job.id) == nil)
        _ = await scheduler.stop(timeout: .zero)
        scheduler.close()

        let reopened = try StateStore(path: path)
        defer { reopened.close() }
        #expect(reopened.document.jobs[job.id] == job, "the job stays in the state untouched")
    }

    @Test func schedulingRefusesAnUnknownFunctionAndACustomTrigger() throws {
        struct EveryFullMoon: Trigger { func nextFireDate(after date: Date) -> Date? { nil } }
        let harness = try PersistentHarness()
        #expect(throws: PersistentSchedulerError.functionNotRegistered("nope")) {
            try harness.scheduler.schedule(function: "nope", trigger: ManualTrigger())
        }
        #expect(throws: PersistentSchedulerError.triggerNotPersistable("EveryFullMoon")) {
            try harness.scheduler.schedule(function: "record", trigger: EveryFullMoon())
        }
        #expect(throws: PersistentSchedulerError.self) {
            try harness.scheduler.schedule(function: "record", trigger: ManualTrigger(), options: JobOptions(maxRuns: 0))
        }
    }

    @Test func secondSchedulerOnTheSameStateFileIsRefused() throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/jobs.json"
        let first = try PersistentScheduler(stateFile: path)
        #expect(throws: PersistentSchedulerError.persistence(.openInThisProcess(file: path))) {
            try PersistentScheduler(stateFile: path)
        }
        first.close()
        _ = try PersistentScheduler(stateFile: path)
    }

    @Test func failedFsyncStopsAcceptingChangesAndSaysWhy() async throws {
        // Operations 0–5 open the new state; 6 and 7 are the first schedule's write and fsync.
        let harness = try PersistentHarness(fileSystem: SimulatedFileSystem(faultAt: 7, fault: .fail))
        #expect(throws: PersistentSchedulerError.self) {
            try harness.scheduler.schedule(function: "record", trigger: ManualTrigger())
        }
        guard case .stopped? = harness.scheduler.failure else {
            Issue.record("expected the state to have stopped, got \(String(describing: harness.scheduler.failure))")
            return
        }
        #expect(harness.scheduler.jobs().map(\.status) == [.cancelled], "the job that could not be stored is not kept running")
        #expect(throws: PersistentSchedulerError.persistence(harness.scheduler.failure!)) {
            try harness.scheduler.schedule(function: "record", trigger: ManualTrigger())
        }
    }
}
