import Foundation
import KairosTesting
import Testing

@testable import Kairos

/// A cron job continues at its first date at or after now (SPEC §4.2): a job scheduled, resumed
/// without catching up, or rescheduled exactly on one of its fire seconds fires that second, and
/// one a fraction of a second later does not. Each waits for the scheduler to be idle, not for
/// a run that might never come.
@Suite(.timeLimit(.minutes(1)))
struct CronFirstDueTests {
    static let hourly = "0 * * * *"
    static let t0 = utcDate("2026-01-01T00:00:00Z")

    /// The `Date` just below `date`: what "after" means to ask for a date at or after it.
    static func justBefore(_ date: Date) -> Date {
        Date(timeIntervalSinceReferenceDate: date.timeIntervalSinceReferenceDate.nextDown)
    }

    /// The closest date after `date` that a `Date` can hold (about 0.1 µs in 2026).
    static func justAfter(_ date: Date) -> Date {
        Date(timeIntervalSinceReferenceDate: date.timeIntervalSinceReferenceDate.nextUp)
    }

    @Test func aCronJobScheduledOnOneOfItsFireSecondsFiresThatSecond() async throws {
        let (scheduler, _) = makeScheduler(at: Self.t0)
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: try CronTrigger(Self.hourly, timeZone: .gmt)) { context in
            recorder.record(context)
        }
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [Self.t0])
        #expect(scheduler.job(id)?.nextFireDate == Self.t0.addingTimeInterval(3600))
        await scheduler.stop(timeout: .zero)
    }

    @Test(arguments: [justAfter(t0), t0.addingTimeInterval(0.000_001), t0.addingTimeInterval(0.5)])
    func aCronJobScheduledJustAfterAFireSecondWaitsForTheNext(now: Date) async throws {
        let (scheduler, _) = makeScheduler(at: now)
        let id = try scheduler.schedule(trigger: try CronTrigger(Self.hourly, timeZone: .gmt)) { _ in }
        #expect(scheduler.job(id)?.nextFireDate == Self.t0.addingTimeInterval(3600))
        await scheduler.stop(timeout: .zero)
    }

    @Test func resumingWithoutCatchingUpOnAFireSecondFiresThatSecond() async throws {
        let (scheduler, clock) = makeScheduler(at: Self.t0.addingTimeInterval(-1800))
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: try CronTrigger(Self.hourly, timeZone: .gmt)) { context in
            recorder.record(context)
        }
        try scheduler.pause(id)
        clock.advance(to: Self.t0.addingTimeInterval(3600))
        await scheduler.waitUntilIdle()
        try scheduler.resume(id, catchingUp: false)
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [Self.t0.addingTimeInterval(3600)])
        await scheduler.stop(timeout: .zero)
    }

    @Test func resumingWithoutCatchingUpJustAfterAFireSecondWaitsForTheNext() async throws {
        let (scheduler, clock) = makeScheduler(at: Self.t0.addingTimeInterval(-1800))
        let id = try scheduler.schedule(trigger: try CronTrigger(Self.hourly, timeZone: .gmt)) { _ in }
        try scheduler.pause(id)
        clock.advance(to: Self.justAfter(Self.t0.addingTimeInterval(3600)))
        await scheduler.waitUntilIdle()
        try scheduler.resume(id, catchingUp: false)
        #expect(scheduler.job(id)?.nextFireDate == Self.t0.addingTimeInterval(7200))
        await scheduler.stop(timeout: .zero)
    }

    @Test func reschedulingOntoACronTriggerOnOneOfItsFireSecondsFiresThatSecond() async throws {
        let (scheduler, _) = makeScheduler(at: Self.t0)
        let recorder = RunRecorder()
        let id = try scheduler.schedule(trigger: ManualTrigger()) { context in recorder.record(context) }
        try scheduler.reschedule(id, trigger: try CronTrigger(Self.hourly, timeZone: .gmt))
        await scheduler.waitUntilIdle()
        #expect(recorder.dueDates == [Self.t0])
        await scheduler.stop(timeout: .zero)
    }

    @Test func reschedulingJustAfterAFireSecondWaitsForTheNext() async throws {
        let (scheduler, _) = makeScheduler(at: Self.justAfter(Self.t0))
        let id = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        try scheduler.reschedule(id, trigger: try CronTrigger(Self.hourly, timeZone: .gmt))
        #expect(scheduler.job(id)?.nextFireDate == Self.t0.addingTimeInterval(3600))
        await scheduler.stop(timeout: .zero)
    }

    @Test func aCronTriggerStartingOnOneOfItsFireSecondsFiresThatSecond() throws {
        let trigger = try CronTrigger(Self.hourly, timeZone: .gmt, startingAt: Self.t0)
        #expect(trigger.nextFireDate(after: Self.t0.addingTimeInterval(-7200)) == Self.t0)
        #expect(trigger.nextFireDate(after: Self.justBefore(Self.t0)) == Self.t0)
        #expect(trigger.nextFireDate(after: Self.justBefore(Self.justAfter(Self.t0))) == Self.t0.addingTimeInterval(3600))
    }
}
