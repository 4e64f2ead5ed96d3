import Foundation
import Kairos
import KairosTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct SchedulerEventRecorderTests {
    /// A jump of the clock over three due dates of a `.runLatest` job: one run, one `missed` event
    /// counting the two dates that did not run.
    @Test func aJumpIsRecordedAsOneRunAndOneMissedEvent() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let events = SchedulerEventRecorder(scheduler)
        let id = try scheduler.schedule(name: "hourly", trigger: try IntervalTrigger(every: .seconds(3600), startingAt: Date(timeIntervalSince1970: 3600))) { _ in }
        scheduler.start()

        clock.advance(by: .seconds(3 * 3600))
        let missed = await events.waitUntil(count: 1, of: .missed)
        let succeeded = await events.waitUntil(count: 1, of: .succeeded)

        #expect(missed.count == 1)
        #expect(missed[0].count == 2)
        #expect(missed[0].missedDueDates == Date(timeIntervalSince1970: 3600)...Date(timeIntervalSince1970: 7200))
        #expect(succeeded.map(\.dueDate) == [Date(timeIntervalSince1970: 3 * 3600)])
        #expect(events.events.allSatisfy { $0.jobID == id })
        #expect(events.events(of: .scheduled).count == 1)
        #expect(events.events.first?.kind == .scheduled)
    }

    @Test func stopEndsTheRecordingAndKeepsWhatWasRecorded() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let events = SchedulerEventRecorder(scheduler)
        let first = try scheduler.schedule(trigger: OnceTrigger(at: Date(timeIntervalSince1970: 10))) { _ in }
        await events.waitUntil(count: 1, of: .scheduled)
        events.stop()
        try scheduler.schedule(trigger: OnceTrigger(at: Date(timeIntervalSince1970: 20))) { _ in }
        #expect(events.events.map(\.jobID) == [first])
    }
}
