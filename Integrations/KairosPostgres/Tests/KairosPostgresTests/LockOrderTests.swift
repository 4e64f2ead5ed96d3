import Foundation
import Kairos
import PostgresNIO
import Synchronization
import Testing

@testable import KairosPostgres

/// The lock order of SPEC §9.2: completions and rescues lock job rows before slots, and the
/// heartbeat waits for no slot. Another transaction holds a row (as a claim holds the row of the
/// job whose slots it claims), and the test looks at what the statement waiting for it holds.
@Suite(.timeLimit(.minutes(2)))
struct LockOrderTests {
    @Test func aCompletionWaitingForItsJobRowHoldsNoSlot() async throws {
        try await withHeldRow(of: "jobs") { node, slot in
            let recorded = Task { try await node.recordCompletion(key: slot.key, token: slot.token, succeeded: true) }
            return { try await recorded.value }
        } whileWaiting: { (nodes, slot) async throws in
            // Before: the completion updated the slot first, then waited for the job row with the
            // slot locked; a claim holding the job row and waiting for that slot deadlocked.
            #expect(try await nodes.sql("SELECT key FROM kairos.slots WHERE key = '\(slot.key)' FOR UPDATE NOWAIT") == slot.key)
        } then: { (nodes, slot, recorded) async throws in
            #expect(recorded)
            #expect(try await nodes.sql("SELECT state FROM kairos.slots WHERE key = '\(slot.key)'") == "succeeded")
            #expect(try await nodes.sql("SELECT runs || ' ' || status FROM kairos.jobs WHERE id = \(slot.jobID.rawValue)") == "1 completed")
        }
    }

    @Test func aRescueWaitingForItsJobRowHoldsNoSlot() async throws {
        try await withHeldRow(of: "jobs", maxAttempts: 1) { node, slot in
            let rescued = Task { try await node.rescueExpiredLeases() == 1 }
            return { try await rescued.value }
        } whileWaiting: { (nodes, slot) async throws in
            #expect(try await nodes.sql("SELECT key FROM kairos.slots WHERE key = '\(slot.key)' FOR UPDATE NOWAIT") == slot.key)
        } then: { (nodes, slot, rescued) async throws in
            #expect(rescued)
            #expect(try await nodes.sql("SELECT state FROM kairos.slots WHERE key = '\(slot.key)'") == "failed")
            #expect(try await nodes.sql("SELECT runs || ' ' || status FROM kairos.jobs WHERE id = \(slot.jobID.rawValue)") == "1 failed")
        }
    }

    @Test func theHeartbeatSkipsALockedSlotInsteadOfWaitingForIt() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let slot = try await claimOneRun(on: node)
            let before = try await nodes.sql("SELECT lease_until FROM kairos.slots WHERE key = '\(slot.key)'")
            try await holdingRow(on: node, "SELECT 1 FROM kairos.slots WHERE key = '\(slot.key)' FOR UPDATE") {
                // Before: the renewal waited for the lock (here until the statement timeout).
                try await node.renewLeases()
            }
            #expect(try await nodes.sql("SELECT lease_until FROM kairos.slots WHERE key = '\(slot.key)'") == before)
            try await node.renewLeases()
            #expect(try await nodes.sql("SELECT lease_until > '\(before)' FROM kairos.slots WHERE key = '\(slot.key)'") == "t")
        }
    }

    // MARK: - Helpers

    /// A node with the claimed run of a one-shot job, known to the node as running.
    private func claimOneRun(on node: PostgresScheduler) async throws -> PostgresScheduler.ClaimedSlot {
        _ = try await node.schedule(name: "once", function: "f", trigger: OnceTrigger(at: Date(timeIntervalSinceNow: -1)))
        _ = try await node.materializeDueSlots()
        let slot = try #require(try await node.claim(limit: 1, functions: ["f"]).first)
        node.local.withLock { $0.active[slot.key] = LocalRuns.Active(jobID: slot.jobID, token: slot.token) }
        return slot
    }

    /// Runs `body` while another transaction holds the rows `lock` selects `FOR UPDATE`.
    private func holdingRow<T: Sendable>(
        on node: PostgresScheduler, _ lock: String, _ body: () async throws -> T
    ) async throws -> T {
        let held = Atomic<Bool>(false), released = Atomic<Bool>(false)
        let holder = Task {
            try await node.transaction { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: lock), logger: node.queryLogger).collect()
                held.store(true, ordering: .releasing)
                while !released.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        defer { released.store(true, ordering: .releasing) }
        try await eventually { held.load(ordering: .acquiring) }
        let result = try await body()
        released.store(true, ordering: .releasing)
        try await holder.value
        return result
    }

    /// Claims a run whose lease expired, holds its row in `table` in another transaction, starts
    /// `start`'s statement, and once it waits for a lock runs `whileWaiting`; then releases the row
    /// and hands `start`'s result to `then`.
    private func withHeldRow<T: Sendable>(
        of table: String, maxAttempts: Int = 3,
        _ start: (PostgresScheduler, PostgresScheduler.ClaimedSlot) async throws -> () async throws -> T,
        whileWaiting: (InProcessNodes, PostgresScheduler.ClaimedSlot) async throws -> Void,
        then: (InProcessNodes, PostgresScheduler.ClaimedSlot, T) async throws -> Void
    ) async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a") { $0.maxAttempts = maxAttempts }
            try await node.migrate()
            let slot = try await claimOneRun(on: node)
            _ = try await nodes.sql("UPDATE kairos.slots SET lease_until = now() - interval '1 second' WHERE key = '\(slot.key)'")
            var finish: (() async throws -> T)?
            try await holdingRow(on: node, "SELECT 1 FROM kairos.\(table) WHERE id = \(slot.jobID.rawValue) FOR UPDATE") {
                finish = try await start(node, slot)
                try await eventually {
                    try await nodes.sql(
                        "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == "t"
                }
                try await whileWaiting(nodes, slot)
            }
            try await then(nodes, slot, try await finish!())
        }
    }
}
