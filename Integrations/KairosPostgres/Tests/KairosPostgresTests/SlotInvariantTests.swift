import Foundation
import Kairos
import Testing

@testable import KairosPostgres

/// The materialiser's invariant: for every job, the slots' due dates are exactly the trigger's due
/// dates up to now minus those counted as missed, and `fired` counts the slots.
@Suite(.timeLimit(.minutes(5)))
struct SlotInvariantTests {
    @Test(arguments: [MisfirePolicy.runAll, .runLatest, .runEarliest])
    func everyDueDateIsASlotOrCountedMissedWhateverTheBatchBudget(policy: MisfirePolicy) async throws {
        try await InProcessNodes.with { nodes in
            // A budget smaller than one job's backlog: jobs share it, and backlogs span passes.
            let node = try nodes.node("a") { $0.materializeBatchSize = 7 }
            try await node.migrate()
            let now = try #require(Double(try await nodes.sql("SELECT extract(epoch FROM now())")))
            let fires = 40
            var starts: [JobID: Double] = [:]
            for index in 0..<12 {
                // Late by 0.3 s (on time) to 30 s (a misfire), at sub-second phases.
                let start = now - 0.3 - Double(index) * 2.7 + Double(index % 3) * 0.001
                let job = try await node.schedule(
                    name: "j\(index)", function: "f",
                    trigger: try IntervalTrigger(
                        every: .seconds(1), startingAt: Date(timeIntervalSince1970: start), repeatCount: fires),
                    options: JobOptions(overlap: .allowAll(limit: 1000), misfire: policy))
                // As if scheduled before its start and materialised late.
                _ = try await nodes.sql("UPDATE kairos.jobs SET next_due = to_timestamp(\(start)) WHERE id = \(job.rawValue)")
                starts[job] = start
            }
            // A pass that makes nothing has every date due before it started materialised.
            var end = 0.0
            repeat {
                end = try #require(Double(try await nodes.sql("SELECT extract(epoch FROM clock_timestamp())")))
            } while try await node.materializeDueSlots() > 0
            let after = try #require(Double(try await nodes.sql("SELECT extract(epoch FROM clock_timestamp())")))

            for (job, start) in starts {
                let stored = try #require(try await node.storedJob(job))
                let all = (0..<fires).map { start + Double($0) }
                let due = all.filter { $0 <= end }, dueBy = all.filter { $0 <= after }
                let slots = try await node.runs(of: job).map(\.dueDate.timeIntervalSince1970).sorted()
                #expect(
                    (due.count...dueBy.count).contains(slots.count + stored.counters.missed), "\(policy) job \(job): \(slots.count) slots")
                let fired = try await nodes.sql("SELECT fired FROM kairos.jobs WHERE id = \(job.rawValue)")
                #expect(fired == "\(slots.count)", "\(policy) job \(job)")
                #expect(slots.allSatisfy { slot in dueBy.contains { abs($0 - slot) < 0.000_01 } }, "\(policy) job \(job)")
                if policy == .runAll {
                    #expect(stored.counters.missed == 0, "job \(job)")
                }
                // The next due date is the first one after the slots and the missed dates.
                let counted = slots.count + stored.counters.missed
                let next = stored.nextDueDate?.timeIntervalSince1970
                let expectedNext = counted < fires ? start + Double(counted) : nil
                #expect(next.map { abs($0 - (expectedNext ?? 0)) < 0.000_01 } ?? (expectedNext == nil), "\(policy) job \(job)")
            }
        }
    }
}
