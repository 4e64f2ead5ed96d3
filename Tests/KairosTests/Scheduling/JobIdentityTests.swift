import Foundation
import KairosTestSupport
import KairosTesting
import Testing

@testable import Kairos

/// A job's ID and name, which live beside its record (derived from the slot and generation, or in
/// sparse columns), through slot reuse and explicit IDs.
@Suite(.timeLimit(.minutes(1))) struct JobIdentityTests {
    /// A scheduler that frees a finished job's slot at once, so the next job reuses it.
    private func forgetfulScheduler() -> (Scheduler, ManualClock) {
        let clock = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let scheduler = Scheduler(configuration: .init(clock: clock, finishedJobRetention: 0))
        return (scheduler, clock)
    }

    private func checkInvariants(_ scheduler: Scheduler) {
        let violations = scheduler.core.condition.withLock { scheduler.core.timeline.invariantViolations() }
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func aReusedSlotGetsANewIDAndNoneOfTheOldJobsName() throws {
        let (scheduler, _) = forgetfulScheduler()
        let named = try scheduler.schedule(name: "nightly report", trigger: ManualTrigger()) { _ in }
        #expect(scheduler.job(named)?.name == "nightly report")
        #expect(scheduler.cancel(named))
        #expect(scheduler.job(named) == nil)
        let unnamed = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        // Same slot (the low half), next generation (the high half).
        #expect(unnamed.rawValue & 0xFFFF_FFFF == named.rawValue & 0xFFFF_FFFF)
        #expect(unnamed.rawValue >> 32 == named.rawValue >> 32 + 1)
        #expect(scheduler.job(unnamed)?.name == "")
        #expect(scheduler.job(named) == nil)
        #expect(!scheduler.cancel(named))
        #expect(scheduler.job(unnamed)?.status == .pending)
        checkInvariants(scheduler)
    }

    @Test func anExplicitIDIsKeptAndForgottenWithItsSlot() throws {
        let (scheduler, _) = forgetfulScheduler()
        let explicit = JobID(rawValue: 1)  // the form of slot 0's first generated ID
        try scheduler.schedule(id: explicit, name: "kept", trigger: ManualTrigger()) { _ in () }
        let generated = try scheduler.schedule(name: "other", trigger: ManualTrigger()) { _ in }
        #expect(generated != explicit)
        #expect(scheduler.job(explicit)?.id == explicit)
        #expect(scheduler.job(explicit)?.name == "kept")
        #expect(scheduler.job(generated)?.name == "other")
        checkInvariants(scheduler)

        #expect(scheduler.cancel(explicit))
        #expect(scheduler.job(explicit) == nil)
        // Slot 0 is reused by a generated job: the explicit ID does not lead to it.
        let reusing = try scheduler.schedule(trigger: ManualTrigger()) { _ in }
        #expect(reusing != explicit && reusing.rawValue & 0xFFFF_FFFF == 1)
        #expect(scheduler.job(explicit) == nil)
        #expect(scheduler.job(reusing)?.id == reusing)
        #expect(scheduler.job(reusing)?.name == "")
        checkInvariants(scheduler)
    }

    @Test func runsAndEventsCarryTheIDAndName() async throws {
        let (scheduler, clock) = makeScheduler()
        let events = SchedulerEventRecorder(scheduler)
        let recorder = RunRecorder()
        let id = try scheduler.schedule(name: "tick", trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(1))) {
            recorder.record($0)
        }
        clock.advance(by: .seconds(1))
        await scheduler.waitUntilIdle()
        #expect(recorder.runs.map(\.jobID) == [id])
        #expect(recorder.runs.map(\.name) == ["tick"])
        let fired = try #require(await events.waitUntil(count: 1, of: .fired).first)
        #expect(fired.jobID == id && fired.jobName == "tick")
    }

    @Test func aSparseColumnAllocatesOnlyTheChunksOfSlotsGivenAValue() {
        var column = SparseSlotColumn(defaultValue: "")
        defer { column.deallocate() }
        #expect(column.isEmpty)
        #expect(column[0] == "" && column[100_000] == "")
        column.reset(5)  // nothing to reset; allocates nothing
        #expect(column.isEmpty)
        column.set("far", at: 3 * 4096 + 7)
        #expect(!column.isEmpty)
        #expect(column[3 * 4096 + 7] == "far")
        #expect(column[3 * 4096 + 6] == "" && column[7] == "" && column[4 * 4096 + 7] == "")
        column.set("near", at: 7)
        #expect(column[7] == "near")
        column.reset(3 * 4096 + 7)
        #expect(column[3 * 4096 + 7] == "" && column[7] == "near")
    }
}
