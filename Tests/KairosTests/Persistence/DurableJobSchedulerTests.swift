import Foundation
import Testing

@testable import Kairos

/// `PersistentScheduler` driven only through `DurableJobScheduler`, as the HTTP server drives any
/// store; and `MisfireSelection`, the misfire rule the cluster store shares with the scheduler.
@Suite("DurableJobScheduler", .timeLimit(.minutes(1)))
struct DurableJobSchedulerTests {
    static let t0 = utcDate("2026-01-01T00:00:00Z")

    static func declareReport(on scheduler: some DurableJobScheduler, key: String?) async throws -> JobID {
        try await scheduler.schedule(
            key: key, name: "report", function: "record", arguments: ["to": "a"],
            trigger: try IntervalTrigger(every: .seconds(60)), options: JobOptions(maxRuns: 5))
    }

    @Test func aPersistentSchedulerThroughTheSeam() async throws {
        let harness = try PersistentHarness()
        let scheduler = harness.scheduler
        let keyed = try await Self.declareReport(on: scheduler, key: "report")
        #expect(try await Self.declareReport(on: scheduler, key: "report") == keyed)
        let unkeyed = try await Self.declareReport(on: scheduler, key: nil)
        #expect(unkeyed != keyed)

        let stored = try #require(try await Self.stored(keyed, in: scheduler))
        #expect(stored.key == "report")
        #expect(stored.name == "report")
        #expect(stored.function == "record")
        #expect(stored.arguments == ["to": "a"])
        #expect(stored.trigger == .interval(seconds: 60, start: Self.t0.addingTimeInterval(60), end: nil, repeatCount: nil))
        #expect(stored.options.maxRuns == 5)
        #expect(stored.status == .pending)
        #expect(stored.nextDueDate == Self.t0.addingTimeInterval(60))
        #expect(try await Self.stored(unkeyed, in: scheduler)?.key == nil)

        try await Self.pause(keyed, in: scheduler)
        #expect(try await Self.storedJobs(status: .paused, in: scheduler).map(\.id) == [keyed])
        #expect(try await Self.storedJobs(status: nil, in: scheduler).map(\.id) == [keyed, unkeyed])

        try await Self.runNow(unkeyed, in: scheduler)
        _ = await harness.recorder.waitUntil(count: 1)
        await harness.settle()
        #expect(try await Self.stored(unkeyed, in: scheduler)?.counters.runs == 1)
        #expect(try await Self.cancel(unkeyed, in: scheduler))
        #expect(try await Self.stored(unkeyed, in: scheduler) == nil)
        #expect(try await Self.stored(JobID(rawValue: 999), in: scheduler) == nil)
        await scheduler.stop(timeout: .zero)
    }

    @Test func runNowThroughTheSeamRejectsAnUnknownJob() async throws {
        let harness = try PersistentHarness()
        await #expect(throws: PersistentSchedulerError.self) { try await Self.runNow(JobID(rawValue: 42), in: harness.scheduler) }
        await harness.scheduler.stop(timeout: .zero)
    }

    // Generic helpers, so that the calls resolve to the protocol's requirements.
    static func stored(_ id: JobID, in scheduler: some DurableJobScheduler) async throws -> StoredJob? {
        try await scheduler.storedJob(id)
    }
    static func storedJobs(status: JobStatus?, in scheduler: some DurableJobScheduler) async throws -> [StoredJob] {
        try await scheduler.storedJobs(status: status)
    }
    static func pause(_ id: JobID, in scheduler: some DurableJobScheduler) async throws { try await scheduler.pause(id) }
    static func runNow(_ id: JobID, in scheduler: some DurableJobScheduler) async throws { try await scheduler.runNow(id) }
    static func cancel(_ id: JobID, in scheduler: some DurableJobScheduler) async throws -> Bool { try await scheduler.cancel(id) }

    // MARK: - MisfireSelection

    /// Every minute from t0, handled at t0 + 10:30: eleven missed dates.
    static let everyMinute = try! IntervalTrigger(every: .seconds(60), startingAt: t0)
    static let handledAt = t0.addingTimeInterval(630)

    @Test(arguments: [
        (MisfirePolicy.runLatest, [600.0], 10),
        (.runEarliest, [0], 10),
        (.runAll, Array(stride(from: 0.0, through: 600, by: 60)), 0),
        (.skip, [], 11),
        (MisfirePolicy(catchUpWindow: .seconds(300), mode: .runAll), [360, 420, 480, 540, 600], 6),
    ])
    func misfireSelectionAppliesThePolicy(policy: MisfirePolicy, runs: [Double], missed: Int) {
        let selection = MisfireSelection(trigger: Self.everyMinute, firstMissed: Self.t0, now: Self.handledAt, policy: policy)
        #expect(selection.dueDatesToRun == runs.map { Self.t0.addingTimeInterval($0) })
        #expect(selection.missedCount == missed)
        #expect(selection.nextDueDate == Self.t0.addingTimeInterval(660))
    }

    @Test func aLimitedRunAllSelectionContinuesWhereItStopped() {
        let first = MisfireSelection(trigger: Self.everyMinute, firstMissed: Self.t0, now: Self.handledAt, policy: .runAll, limit: 4)
        #expect(first.dueDatesToRun == [0.0, 60, 120, 180].map { Self.t0.addingTimeInterval($0) })
        #expect(first.missedCount == 0)
        #expect(first.nextDueDate == Self.t0.addingTimeInterval(240))
        let rest = MisfireSelection(
            trigger: Self.everyMinute, firstMissed: first.nextDueDate!, now: Self.handledAt, policy: .runAll, limit: 100)
        #expect(rest.dueDatesToRun.count == 7)
        #expect(rest.nextDueDate == Self.t0.addingTimeInterval(660))

        // A window that drops the first dates: the dropped ones are counted, the rest continue.
        let windowed = MisfireSelection(
            trigger: Self.everyMinute, firstMissed: Self.t0, now: Self.handledAt,
            policy: MisfirePolicy(catchUpWindow: .seconds(300), mode: .runAll), limit: 2)
        #expect(windowed.dueDatesToRun == [360.0, 420].map { Self.t0.addingTimeInterval($0) })
        #expect(windowed.missedCount == 6)
        #expect(windowed.missedSpan == Self.t0...Self.t0.addingTimeInterval(300))
        #expect(windowed.nextDueDate == Self.t0.addingTimeInterval(480))
    }

    @Test func storedFormsRoundTripAndNameWhatIsWrong() throws {
        let options = JobOptions(maxRuns: 3, overlap: .allowAll(limit: 2), misfire: .skip, timeout: .seconds(30))
        #expect(try JobOptions(jsonValue: options.jsonValue) == options)
        let trigger = TriggerDescription.cron(expression: "0 2 * * *", timeZone: "Europe/Paris", start: nil, end: nil)
        #expect(try TriggerDescription(jsonValue: trigger.jsonValue) == trigger)
        #expect(throws: StoredFormError("unknown overlap policy \"sometimes\"")) {
            try JobOptions(jsonValue: ["overlap": ["kind": "sometimes"]])
        }
        #expect(
            TriggerDescription.interval(seconds: 60, start: nil, end: nil, repeatCount: nil).anchored(at: Self.t0)
                == .interval(seconds: 60, start: Self.t0.addingTimeInterval(60), end: nil, repeatCount: nil))
        #expect(TriggerDescription.firstDueDate(of: OnceTrigger(at: Self.t0), scheduledAt: Self.handledAt) == Self.t0)
        #expect(TriggerDescription.firstDueDate(of: Self.everyMinute, scheduledAt: Self.handledAt) == Self.t0.addingTimeInterval(660))
    }
}
