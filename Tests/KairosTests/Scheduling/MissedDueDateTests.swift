import Foundation
import KairosPlatform
import KairosTesting
import Testing

@testable import Kairos

/// What a `missed` event reports, pauses and stops of any length as misfires, and counting missed
/// dates without enumerating them.
@Suite(.timeLimit(.minutes(1))) struct MissedDueDateTests {
    enum TriggerKind: CaseIterable { case interval, cron, opaque }

    /// Every 10 s from +10 s, as an interval trigger, a cron trigger, or a trigger the scheduler
    /// can only enumerate.
    static func everyTenSeconds(from start: Date, _ kind: TriggerKind) throws -> any Trigger {
        let interval = try IntervalTrigger(every: .seconds(10), startingAt: start.addingTimeInterval(10))
        switch kind {
        case .interval: return interval
        case .cron: return try CronTrigger("*/10 * * * * *", timeZone: .gmt, startingAt: start.addingTimeInterval(10))
        case .opaque: return MisfirePolicyTests.OpaqueInterval(base: interval)
        }
    }

    /// Due at +10, 20, 30, 40 and 50 s; the scheduler starts at +55 s.
    static let cases: [(window: Double?, mode: MisfirePolicy.Mode, ran: [Double], missed: ClosedRange<Double>?, count: Int)] = [
        (nil, .runLatest, [50], 10...40, 4),
        (nil, .runEarliest, [10], 20...50, 4),
        (nil, .runAll, [10, 20, 30, 40, 50], nil, 0),
        (25, .runEarliest, [30], 10...50, 4),
        (25, .runAll, [30, 40, 50], 10...20, 2),
        (0, .runLatest, [], 10...50, 5),
    ]

    @Test(arguments: cases, TriggerKind.allCases)
    func theMissedEventSpansTheDatesThatDidNotRun(
        _ policyCase: (window: Double?, mode: MisfirePolicy.Mode, ran: [Double], missed: ClosedRange<Double>?, count: Int),
        kind: TriggerKind
    ) async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 1, start: false)
        let start = clock.now.date
        let events = LockedState<[SchedulerEvent]>([])
        scheduler.onEvent { event in
            if event.kind == .missed || event.kind == .fired { events.withLock { $0.append(event) } }
        }
        let policy = MisfirePolicy(catchUpWindow: policyCase.window.map { .seconds($0) }, mode: policyCase.mode)
        try scheduler.schedule(trigger: try Self.everyTenSeconds(from: start, kind), options: JobOptions(misfire: policy)) { _ in }
        clock.advance(by: .seconds(55))
        scheduler.start()
        await scheduler.waitUntilIdle()
        let seen = events.withLock { $0 }
        let offsets = { (date: Date?) in date.map { $0.timeIntervalSince(start) } }
        #expect(seen.filter { $0.kind == .fired }.map { offsets($0.dueDate) } == policyCase.ran)
        let missed = seen.filter { $0.kind == .missed }
        if let expected = policyCase.missed {
            try #require(missed.count == 1)
            #expect(missed[0].count == policyCase.count)
            #expect(offsets(missed[0].dueDate) == expected.lowerBound)
            #expect(offsets(missed[0].missedDueDates?.lowerBound) == expected.lowerBound)
            #expect(offsets(missed[0].missedDueDates?.upperBound) == expected.upperBound)
        } else {
            #expect(missed.isEmpty)
        }
    }

    // MARK: - Pauses and stops of any length

    /// Every 100 ms from +0.1 s with `.skip`; the run due at +0.1 s runs, then the scheduler is held
    /// for a second (less than the 1 s misfire threshold past any date in it) and released at
    /// +1.15 s: the ten dates from +0.2 to +1.1 s are missed, the next run is the one due at +1.2 s.
    enum Hold: CaseIterable { case pauseScheduler, stopScheduler, pauseJob }

    @Test(arguments: Hold.allCases)
    func aShortHoldIsAMissWithNoCatchUpRun(_ hold: Hold) async throws {
        let (scheduler, clock) = makeScheduler(misfire: .skip)
        let start = clock.now.date
        let recorder = RunRecorder()
        let id = try scheduler.schedule(
            trigger: try IntervalTrigger(every: .milliseconds(100), startingAt: start.addingTimeInterval(0.1))
        ) { context in recorder.record(context) }
        await clock.step(by: .seconds(0.1))
        #expect(recorder.count == 1)
        switch hold {
        case .pauseScheduler: scheduler.pause()
        case .stopScheduler: await scheduler.stop()
        case .pauseJob: try scheduler.pause(id)
        }
        clock.advance(by: .seconds(1.05))
        switch hold {
        case .pauseScheduler: scheduler.resume()
        case .stopScheduler: scheduler.start()
        case .pauseJob: try scheduler.resume(id)
        }
        await scheduler.waitUntilIdle()
        await clock.step(to: start.addingTimeInterval(1.2))
        #expect(recorder.dueDates.map { ($0.timeIntervalSince(start) * 1000).rounded() } == [100, 1200])
        let job = try #require(scheduler.job(id))
        #expect(job.counters.missed == 10)
        #expect(job.counters.overlapSkipped == 0)
    }

    /// Before its first start the scheduler was not running either: a job restored after a
    /// restart (as `PersistentScheduler` restores it) whose date passed half a second before the
    /// start is missed, not run half a second late.
    @Test func aDateDueBeforeTheFirstStartIsMissedHoweverLittleLate() async throws {
        let (scheduler, clock) = makeScheduler(misfire: .skip, start: false)
        let start = clock.now.date
        let recorder = RunRecorder()
        let trigger = try IntervalTrigger(every: .seconds(10), startingAt: start)
        let id = try scheduler.schedule(
            id: JobID(rawValue: 1 << 40), name: "restored", trigger: trigger,
            restoring: RestoredJobState(lastDueDate: start)
        ) { (context: JobContext) -> any Sendable in
            recorder.record(context)
        }
        clock.advance(by: .seconds(10.5))
        scheduler.start()
        await scheduler.waitUntilIdle()
        await clock.step(by: .seconds(9.5))
        #expect(recorder.dueDates == [start.addingTimeInterval(20)])
        #expect(scheduler.job(id)?.counters.missed == 1)
    }

    @Test func aDateDueAfterTheResumeIsNotMissed() async throws {
        let (scheduler, clock) = makeScheduler(misfire: .skip)
        let recorder = RunRecorder()
        let due = clock.now.date.addingTimeInterval(2)
        try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in recorder.record(context) }
        scheduler.pause()
        clock.advance(by: .seconds(1))
        scheduler.resume()
        clock.advance(by: .seconds(1.5))  // half a second late: within the threshold
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [due])
    }

    // MARK: - Counting

    /// A per-second cron job after a 30-day jump: 2,592,001 dates, counted exactly (the old
    /// enumeration stopped at a million, under the scheduler's lock).
    @Test(arguments: [MisfirePolicy.runLatest, .skip])
    func aMonthOfPerSecondCronDatesIsCountedExactly(_ policy: MisfirePolicy) async throws {
        let (scheduler, clock) = makeScheduler(start: false)
        let start = clock.now.date
        let recorder = RunRecorder()
        let id = try scheduler.schedule(
            trigger: try CronTrigger("* * * * * *", timeZone: TimeZone(identifier: "Europe/Paris")!, startingAt: start),
            options: JobOptions(misfire: policy)
        ) { context in recorder.record(context) }
        let last = start.addingTimeInterval(30 * 86_400)
        clock.advance(to: last.addingTimeInterval(0.5))
        scheduler.start()
        await scheduler.waitUntilIdle()
        let ran = policy == .skip ? 0 : 1
        #expect(recorder.dueDates == (ran == 1 ? [last] : []))
        let job = try #require(scheduler.job(id))
        #expect(job.counters.missed == 30 * 86_400 + 1 - ran)
        #expect(job.nextFireDate == last.addingTimeInterval(1))
    }
}
