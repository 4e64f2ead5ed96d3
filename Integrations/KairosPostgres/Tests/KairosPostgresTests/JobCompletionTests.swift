import Foundation
import Kairos
import Testing

@testable import KairosPostgres

/// A job's status against its slots: a job's last slots run whatever its status became, except
/// paused or cancelled; a job whose last run ends, however it ends, leaves `pending`.
@Suite(.timeLimit(.minutes(5)))
struct JobCompletionTests {
    @Test func pendingSlotsOfACompletedJobAreClaimedButNotThoseOfAPausedOrCancelledOne() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            var jobs: [String: JobID] = [:]
            for status in ["completed", "failed", "paused", "cancelled"] {
                jobs[status] = try await node.schedule(name: status, function: "f", trigger: OnceTrigger(at: Date(timeIntervalSinceNow: -1)))
            }
            #expect(try await node.materializeDueSlots() == 4)
            // The state a job reaches when the materialiser or a completion finishes it while one
            // of its slots still waits (a handed-back or rescued run, a slot materialised late).
            for (status, job) in jobs {
                _ = try await nodes.sql("UPDATE kairos.jobs SET status = '\(status)' WHERE id = \(job.rawValue)")
            }

            let claimed = try await node.claim(limit: 10, functions: ["f"])
            #expect(Set(claimed.map(\.jobID)) == [jobs["completed"]!, jobs["failed"]!])
        }
    }

    @Test func aRunFailedByRescueAfterItsLastAttemptFinishesItsJob() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a") { $0.maxAttempts = 1 }
            try await node.migrate()
            let job = try await node.schedule(name: "once", function: "f", trigger: OnceTrigger(at: Date(timeIntervalSinceNow: -1)))
            #expect(try await node.materializeDueSlots() == 1)
            let run = try #require(try await node.claim(limit: 10, functions: ["f"]).first)
            _ = try await nodes.sql("UPDATE kairos.slots SET lease_until = now() - interval '1 second' WHERE key = '\(run.key)'")

            #expect(try await node.rescueExpiredLeases() == 1)
            #expect(try await node.runs(of: job).map(\.state) == [.failed])
            // Before: the job stayed pending with no next due date and no slot to finish it, forever.
            #expect(try await node.storedJob(job)?.status == .failed)
        }
    }
}
