import Foundation
import KairosPlatform
import KairosTesting
import Testing

@testable import Kairos

/// Restoring many jobs at once: triggers and options shared between jobs, one body for every
/// restored job, and the order the restored queue fires them in.
@Suite("PersistentScheduler restore", .timeLimit(.minutes(1)))
struct PersistentRestoreTests {
    static let t0 = utcDate("2026-01-01T00:00:00Z")

    /// The queued jobs in firing order: (date, priority, job ID). Jobs already due wait in the
    /// due list, which fires first and in its own order; the rest wait in the heap.
    static func firingOrder(of scheduler: Scheduler) -> [(Double, Int32, JobID)] {
        let core = scheduler.core
        core.condition.lock()
        defer { core.condition.unlock() }
        let timeline = core.timeline
        var order: [(Double, Int32, JobID)] = timeline.dueList[timeline.dueHead...].map { slot in
            let due = timeline.records[Int(slot)].nextDue.seconds
            return (due + timeline.jitter(slot: slot, due: due), timeline.priority(slot: slot), timeline.id(of: slot))
        }
        var queue = timeline.queue
        while let entry = queue.popMin() { order.append((entry.date, queue.priority(slot: entry.slot), timeline.id(of: entry.slot))) }
        return order
    }

    @Test func restoringManyJobsGivesTheSameJobsAndFiringOrderAsSchedulingThemOneByOne() async throws {
        let paris = TimeZone(identifier: "Europe/Paris")!
        let expressions = ["0 * * * *", "*/30 * * * *", "15 9 * * mon-fri", "0 0 1 * *"]
        let first = try PersistentHarness(start: false)
        var ids: [JobID] = []
        for n in 0..<240 {
            // Many jobs share each cron expression; equal due dates and priorities are frequent,
            // so the first-in-first-out order among them is checked too.
            let trigger: any Trigger =
                switch n % 6 {
                case 0, 1, 2: try CronTrigger(expressions[n % 4], timeZone: paris)
                case 3: try IntervalTrigger(every: .seconds(Double(60 * (1 + n % 5))), startingAt: Self.t0.addingTimeInterval(30))
                case 4: OnceTrigger(at: Self.t0.addingTimeInterval(Double(3600 * (n % 3 + 1))))
                default: try JitteredTrigger(try CronTrigger(expressions[n % 4], timeZone: paris), maxJitter: .seconds(20))
                }
            let options = JobOptions(priority: n % 3, overlap: n % 2 == 0 ? .skip : .bufferOne, misfire: .runLatest)
            ids.append(
                try first.scheduler.schedule(
                    name: "job \(n)", function: "record", arguments: ["n": .number(Double(n))],
                    trigger: trigger, options: options))
        }
        for id in ids where id.rawValue % 7 == 0 { try first.scheduler.pause(id) }
        let before = first.scheduler.jobs()
        let beforeOrder = Self.firingOrder(of: first.scheduler.scheduler)

        // Paused before it starts: the jobs due at t0 would otherwise fire and leave the queue.
        let second = try first.crashAndRestart(at: Self.t0, start: false)
        second.scheduler.scheduler.pause()
        second.scheduler.start()
        let after = second.scheduler.jobs()
        #expect(after.count == before.count)
        #expect(second.scheduler.unrestoredJobs.isEmpty)
        for (old, new) in zip(before, after) {
            #expect(new.id == old.id)
            #expect(new.name == old.name)
            #expect(new.status == old.status)
            #expect(new.triggerDescription == old.triggerDescription)
            #expect(new.options == old.options)
            #expect(new.nextFireDate == old.nextFireDate)
        }
        let afterOrder = Self.firingOrder(of: second.scheduler.scheduler)
        #expect(afterOrder.count == beforeOrder.count)
        #expect(afterOrder.elementsEqual(beforeOrder) { $0 == $1 })
        await second.scheduler.stop(timeout: .zero)
    }

    @Test func restoredJobsSharingACronExpressionEachFireOnTheirOwnWithTheirOwnArguments() async throws {
        let received = LockedState<[JobID: [JSONValue]]>([:])
        let register = { (harness: PersistentHarness) in
            harness.scheduler.register("echo") { context, arguments in
                received.withLock { $0[context.jobID, default: []].append(arguments) }
                harness.recorder.record(context)
            }
        }
        // Scheduled at 00:10 UTC: the first fire is at 01:00 UTC (02:00 in Paris).
        let first = try PersistentHarness(at: utcDate("2026-01-01T00:10:00Z"), start: false)
        register(first)
        first.scheduler.start()
        let hourly = try CronTrigger("0 * * * *", timeZone: TimeZone(identifier: "Europe/Paris")!)
        let a = try first.scheduler.schedule(name: "a", function: "echo", arguments: ["who": "a"], trigger: hourly)
        let b = try first.scheduler.schedule(name: "b", function: "echo", arguments: ["who": "b"], trigger: hourly)
        let c = try first.scheduler.schedule(name: "c", function: "echo", arguments: ["who": "c"], trigger: hourly)
        await first.scheduler.stop(timeout: .zero)

        let second = try first.crashAndRestart(at: utcDate("2026-01-01T00:20:00Z"), register: false, start: false)
        register(second)
        second.scheduler.start()
        try second.scheduler.pause(c)
        second.clock.advance(to: utcDate("2026-01-01T01:00:00Z"))
        await second.recorder.waitUntil(count: 2)
        await second.settle()
        #expect(received.withLock { $0 } == [a: [["who": "a"]], b: [["who": "b"]]])
        try second.scheduler.cancel(a)
        second.clock.advance(to: utcDate("2026-01-01T02:00:00Z"))
        await second.recorder.waitUntil(count: 3)
        await second.settle()
        #expect(received.withLock { $0 } == [a: [["who": "a"]], b: [["who": "b"], ["who": "b"]]])
        #expect(second.scheduler.job(b)?.nextFireDate == utcDate("2026-01-01T03:00:00Z"))
        #expect(second.scheduler.job(c)?.status == .paused)
        #expect(second.scheduler.job(b)?.triggerDescription == TriggerDescription(hourly))
        await second.scheduler.stop(timeout: .zero)
    }
}
