import Foundation
import Kairos
import Testing

@testable import KairosPostgres

/// `schedule(_:)` stores many jobs in one transaction with `schedule(key:…)`'s meaning, and a
/// one-shot due now gets its slot with its job (nothing left to materialise).
@Suite(.timeLimit(.minutes(2)))
struct BulkScheduleTests {
    @Test func manyJobsInOneTransactionInOrderWithUpsertsAndReadySlots() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let declared = try await node.schedule(key: "nightly", name: "nightly", function: "f", trigger: try CronTrigger("0 2 * * *"))
            let now = Date()
            let ids = try await node.schedule([
                .init(key: "now", name: "now", function: "f", trigger: OnceTrigger(at: now)),
                .init(name: "every minute", function: "f", trigger: try IntervalTrigger(every: .seconds(60))),
                .init(key: "nightly", name: "nightly", function: "f", trigger: try CronTrigger("0 2 * * *")),
                .init(name: "later", function: "f", trigger: OnceTrigger(at: now.addingTimeInterval(3600))),
                .init(name: "paused", function: "f", trigger: OnceTrigger(at: now), options: JobOptions(startPaused: true)),
            ])
            #expect(ids.count == 5)
            #expect(ids[2] == declared)
            #expect(Set(ids).count == 5)
            let names = try await ids.asyncMap { try await node.storedJob($0)?.name }
            #expect(names == ["now", "every minute", "nightly", "later", "paused"])

            // The one-shot due now has its slot already; the others wait for their due dates.
            let ready = try await node.runs(of: ids[0])
            #expect(ready.map(\.state) == [.pending])
            #expect(ready.first?.key == JobContext(jobID: ids[0], name: "", dueDate: ready[0].dueDate, attempt: 1).idempotencyKey)
            #expect(try await node.storedJob(ids[0])?.nextDueDate == nil)
            for id in ids.dropFirst() { #expect(try await node.runs(of: id).isEmpty) }
            #expect(try await node.storedJob(ids[3])?.nextDueDate != nil)
            #expect(try await node.materializeDueSlots() == 0)

            // It runs once, and its job completes.
            let ran = Ledger()
            node.register("f") { context, _ in ran.append(context, node: "a") }
            nodes.start(node)
            try await eventually { try await node.storedJob(ids[0])?.status == .completed }
            #expect(ran.all.map(\.key) == [ready[0].key])
        }
    }

    @Test func anInvalidJobStoresNone() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            await #expect(throws: PostgresSchedulerError.self) {
                try await node.schedule([
                    .init(name: "fine", function: "f", trigger: OnceTrigger(at: Date())),
                    .init(key: "", name: "empty key", function: "f", trigger: OnceTrigger(at: Date())),
                ])
            }
            #expect(try await node.storedJobs().isEmpty)
            #expect(try await node.schedule([]).isEmpty)
        }
    }
}

extension Array {
    /// The elements transformed one after another by an async function.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
