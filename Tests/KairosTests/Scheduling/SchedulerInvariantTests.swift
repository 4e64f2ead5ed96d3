import Foundation
import Testing

@testable import Kairos

/// The scheduler's invariant checker and the sizes the storage comments promise.
@Suite(.timeLimit(.minutes(1))) struct SchedulerInvariantTests {
    /// A scheduler with a paused job and queued jobs.
    private func populated() throws -> Scheduler {
        let (scheduler, clock) = makeScheduler(start: false)
        let paused = try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(60))) { _ in }
        try scheduler.pause(paused)
        try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date)) { _ in }
        for offset in 1...5 { try scheduler.schedule(trigger: OnceTrigger(at: clock.now.date.addingTimeInterval(Double(offset)))) { _ in } }
        return scheduler
    }

    private func violations(_ scheduler: Scheduler, after corrupt: (inout JobTimeline) -> Void) -> [String] {
        let core = scheduler.core
        core.condition.lock()
        defer { core.condition.unlock() }
        corrupt(&core.timeline)
        return core.timeline.invariantViolations()
    }

    @Test func aConsistentSchedulerHasNoViolations() throws {
        let scheduler = try populated()
        #expect(violations(scheduler) { _ in }.isEmpty)
        let id = try scheduler.schedule(trigger: ManualTrigger(), options: JobOptions(maxRuns: 1)) { _ in }
        #expect(scheduler.cancel(id))
        #expect(violations(scheduler) { _ in }.isEmpty)
    }

    @Test func aWrongCounterIsReported() throws {
        let scheduler = try populated()
        let found = violations(scheduler) { $0.pausedCount += 1 }
        #expect(found.contains { $0.hasPrefix("pausedCount is 2 for 1 paused") })
        scheduler.core.condition.withLock { scheduler.core.timeline.pausedCount -= 1 }
    }

    @Test func aSlotInUseInTheFreeListIsReported() throws {
        let scheduler = try populated()
        let found = violations(scheduler) { $0.freeSlots.append(0) }
        #expect(found.contains("the free list holds slot 0, which is not free"))
        #expect(found.contains("0 free slots and 1 in the free list"))
        scheduler.core.condition.withLock { _ = scheduler.core.timeline.freeSlots.removeLast() }
    }

    @Test func aJobInBothTheHeapAndTheDueListIsReported() throws {
        let scheduler = try populated()
        let core = scheduler.core
        let queued = try #require(core.condition.withLock { core.timeline.queue.min?.slot })
        let found = violations(scheduler) { $0.records[Int(queued)].flags.insert(.inDueList) }
        #expect(found.contains("slot \(queued) is in both the heap and the due list"))
        #expect(found.contains("0 due-list entries for 1 flagged slots"))
        core.condition.withLock { _ = core.timeline.records[Int(queued)].flags.remove(.inDueList) }
    }

    @Test func aRunCountWithoutItsRunIsReported() throws {
        let scheduler = try populated()
        let found = violations(scheduler) { $0.records[0].active = 1 }
        #expect(found.contains("slot 0 counts 1 runs in flight and references 0"))
        #expect(found.contains("activeRuns is 0 for 1 runs in flight"))
        scheduler.core.condition.withLock { scheduler.core.timeline.records[0].active = 0 }
    }

    /// The sizes that the comments on the storage promise, which the memory per pending job
    /// depends on.
    @Test func theStorageHasThePromisedSizes() {
        // No ID and no name in the record; the small fields fill the bytes after the enums' tags.
        #expect(MemoryLayout<JobRecord>.stride == 88)
        #expect(MemoryLayout<JobBody>.size == 17)
        #expect(MemoryLayout<TriggerStorage>.size == 9)
        #expect(MemoryLayout<JobQueue.Entry>.stride == 16)
        // A due date or none in one Double: the record's layout does not pay for the optional.
        #expect(MemoryLayout<DueInstant>.size == 8)
        #expect(DueInstant.none == DueInstant(nil) && DueInstant.none.date == nil && DueInstant(5).value == 5)
    }
}
