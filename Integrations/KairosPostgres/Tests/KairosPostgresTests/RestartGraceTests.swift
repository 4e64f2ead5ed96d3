import Foundation
import Kairos
import Testing

@testable import KairosPostgres

/// Leases that ran out while PostgreSQL was down are not rescued during the first lease after it
/// restarted: their nodes reconnect and renew them, so a restart longer than a lease re-runs nothing.
@Suite(.timeLimit(.minutes(2)))
struct RestartGraceTests {
    @Test func aLeaseThatRanOutDuringARestartIsRescuedOnlyALeaseLater() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a") { $0.leaseDuration = .seconds(10) }
            try await node.migrate()
            let job = try await node.schedule(name: "manual", function: "f", trigger: ManualTrigger())
            try await node.runNow(job)
            let run = try #require(try await node.claim(limit: 10, functions: ["f"]).first)

            try await nodes.postgres.restart()
            // As if the database had been down longer than the lease.
            _ = try await nodes.sql("UPDATE kairos.slots SET lease_until = now() - interval '1 second' WHERE key = '\(run.key)'")
            // Before: rescued at once, and the run went again while its node was reconnecting.
            #expect(try await node.rescueExpiredLeases() == 0)
            #expect(try await node.runs(of: job).first?.state == .running)

            // A node that really died is rescued once the database has been up for a lease.
            try await eventually {
                try await node.rescueExpiredLeases()
                return try await node.runs(of: job).first?.state == .pending
            }
            let rescued = try #require(try await node.runs(of: job).first)
            #expect(rescued.state == .pending)
            #expect(rescued.attempt == 2)
        }
    }
}
