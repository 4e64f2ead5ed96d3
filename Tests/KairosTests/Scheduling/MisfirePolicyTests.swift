import Foundation
import KairosTesting
import Testing

@testable import Kairos

/// A job due every 10 s from +10 s; the scheduler starts at +55 s, so 10, 20, 30, 40 and 50 were
/// missed.
@Suite(.timeLimit(.minutes(1))) struct MisfirePolicyTests {
    @Test func catchUpWindowIsADurationAndTheCodableFormKeepsSeconds() throws {
        var policy = MisfirePolicy(catchUpWindow: .milliseconds(90_500), mode: .runAll)
        #expect(policy.catchUpWindow == .milliseconds(90_500))
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(policy)) as? [String: Any]
        #expect(encoded?["catchUpWindow"] as? Double == 90.5)
        let stored = Data(#"{"catchUpWindow":90.5,"mode":"runAll"}"#.utf8)
        #expect(try JSONDecoder().decode(MisfirePolicy.self, from: stored) == policy)
        policy.catchUpWindow = .seconds(-5)
        #expect(policy.catchUpWindow == .zero)
        policy.catchUpWindow = nil
        #expect(policy == MisfirePolicy(mode: .runAll))
    }

    /// The same schedule through the generic (enumerating) catch-up path.
    struct OpaqueInterval: Trigger {
        let base: IntervalTrigger
        func nextFireDate(after date: Date) -> Date? { base.nextFireDate(after: date) }
    }

    static let cases: [(window: Double?, mode: MisfirePolicy.Mode, runs: [Double], missed: Int)] = [
        (nil, .runLatest, [50], 4),
        (nil, .runEarliest, [10], 4),
        (nil, .runAll, [10, 20, 30, 40, 50], 0),
        (25, .runLatest, [50], 4),
        (25, .runEarliest, [30], 4),
        (25, .runAll, [30, 40, 50], 2),
        (0, .runLatest, [], 5),
        (0, .runAll, [], 5),
    ]

    @Test(arguments: cases, [false, true])
    func missedDueDatesFollowTheWindowAndMode(
        _ policyCase: (window: Double?, mode: MisfirePolicy.Mode, runs: [Double], missed: Int), opaque: Bool
    ) async throws {
        let policy = MisfirePolicy(catchUpWindow: policyCase.window.map { .seconds($0) }, mode: policyCase.mode)
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1, start: false)
        let start = clock.now.date
        let recorder = RunRecorder()
        let interval = try IntervalTrigger(every: .seconds(10), startingAt: start.addingTimeInterval(10))
        let trigger: any Trigger = opaque ? OpaqueInterval(base: interval) : interval
        let id = try scheduler.schedule(trigger: trigger, options: JobOptions(misfire: policy)) { context in recorder.record(context) }
        clock.advance(by: .seconds(55))
        scheduler.start()
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates.map { $0.timeIntervalSince(start) } == policyCase.runs)
        let job = try #require(scheduler.job(id))
        #expect(job.counters.missed == policyCase.missed)
        #expect(job.nextFireDate == start.addingTimeInterval(60))
    }

    @Test func aOneShotMissedWithAZeroWindowCompletesWithoutRunning() async throws {
        let (scheduler, clock) = makeScheduler(misfire: .skip, start: false)
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) { context in recorder.record(context) }
        clock.advance(by: .seconds(3600))
        scheduler.start()
        await scheduler.waitUntilIdle()
        #expect(recorder.count == 0)
        #expect(scheduler.job(id)?.status == .completed)
        #expect(scheduler.job(id)?.counters.missed == 1)
    }

    @Test func lateWithinTheThresholdIsNotAMisfire() async throws {
        let (scheduler, clock) = makeScheduler(misfire: .skip)
        let recorder = RunRecorder()
        let due = clock.now.date.addingTimeInterval(10)
        try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        clock.advance(by: .seconds(10.9))  // the default threshold is 1 s
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [due])
    }

    @Test func oneShotInThePastRunsAtOnceByDefault() async throws {
        let (scheduler, clock) = makeScheduler()
        let recorder = RunRecorder()
        let past = clock.now.date.addingTimeInterval(-86_400)
        try scheduler.schedule(trigger: OnceTrigger(at: past)) { context in recorder.record(context) }
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [past])
    }
}
