import Foundation
import Kairos
import Testing

@testable import KairosPostgres

/// The claim statement: what it reads (the batch it claims, not the pending set), and the lanes
/// it hands out.
@Suite(.timeLimit(.minutes(3)))
struct ClaimTests {
    /// On a new schema, whose statistics say nothing yet (autovacuum off keeps it so), claiming 10
    /// of 2,000 pending slots touches about as many buffers as claiming 10 of 40. A plan picked
    /// from those statistics read every due slot and its job for each claim (3 buffers a slot).
    @Test func aClaimReadsItsBatchNotThePendingSet() async throws {
        let settings = ["shared_preload_libraries": "pg_stat_statements", "autovacuum": "off"]
        try await InProcessNodes.with(settings: settings) { nodes in
            _ = try await nodes.sql("CREATE EXTENSION pg_stat_statements")
            var buffersPerClaim: [Int: Int] = [:]
            for pending in [40, 2000] {
                let schema = "pending_\(pending)"
                let node = try nodes.node(schema) { $0.schema = schema }
                try await node.migrate()
                let now = Date()
                _ = try await node.schedule(
                    (0..<pending).map { .init(name: "j\($0)", function: "f", trigger: OnceTrigger(at: now)) })
                for _ in 0..<3 { #expect(try await node.claim(limit: 10, functions: ["f"]).count == 10) }
                buffersPerClaim[pending] = Int(
                    try await nodes.sql(
                        """
                        SELECT (sum(shared_blks_hit + shared_blks_read) / sum(calls))::int FROM pg_stat_statements
                        WHERE query LIKE 'WITH candidates%' AND query LIKE '%\(schema).slots%'
                        """))
            }
            let few = try #require(buffersPerClaim[40]), many = try #require(buffersPerClaim[2000])
            #expect(many < 2 * few, "buffers per claim: \(few) with 40 pending, \(many) with 2,000")
        }
    }

    /// A job's slots get its free lanes, lowest first; one with no free lane waits for a run to end.
    @Test func slotsGetTheFreeLanesOfTheirJob() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let wide = try await node.schedule(
                name: "wide", function: "f", trigger: ManualTrigger(), options: JobOptions(overlap: .allowAll(limit: 3)))
            for _ in 0..<4 { try await node.runNow(wide) }
            let first = try await node.claim(limit: 10, functions: ["f"])
            #expect(first.count == 3)
            let lanes = {
                try await nodes.sql("SELECT string_agg(lane::text, ',' ORDER BY lane) FROM kairos.slots WHERE state = 'running'")
            }
            #expect(try await lanes() == "0,1,2")
            #expect(try await node.claim(limit: 10, functions: ["f"]).isEmpty)

            let keyInLaneOne = try await nodes.sql("SELECT key FROM kairos.slots WHERE state = 'running' AND lane = 1")
            let inLaneOne = try #require(first.first { $0.key == keyInLaneOne })
            #expect(try await node.recordCompletion(key: inLaneOne.key, token: inLaneOne.token, succeeded: true))
            let last = try await node.claim(limit: 10, functions: ["f"])
            #expect(last.count == 1)
            let lastLane = try await nodes.sql("SELECT lane FROM kairos.slots WHERE key = '\(last.first?.key ?? "")'")
            #expect(lastLane == "1")
            #expect(try await lanes() == "0,1,2")
        }
    }
}
