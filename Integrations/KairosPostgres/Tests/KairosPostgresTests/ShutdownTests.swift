import Foundation
import Kairos
import Synchronization
import Testing

@testable import KairosPostgres

/// Stopping a node is bounded: `run()` returns within its grace period plus a second whatever the
/// database does, and a run it could not hand back is rescued when its lease expires.
@Suite(.timeLimit(.minutes(3)))
struct ShutdownTests {
    @Test func aNodeStopsWhileTheDatabaseDoesNotAnswer() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("stopping") {
                $0.shutdownGracePeriod = .milliseconds(300)
                $0.queryTimeout = .milliseconds(500)
            }
            try await node.migrate()
            let started = Mutex(false)
            node.register("hold") { _, _ in
                started.withLock { $0 = true }
                try await Task.sleep(for: .seconds(600))
            }
            let job = try await node.schedule(name: "hold", function: "hold", trigger: OnceTrigger(at: Date()))
            let running = Task { try await node.run() }
            try await eventually { started.withLock { $0 } }

            // Another session locks the slots table: every statement of the node on it waits for
            // the lock (before, the hand-back at the stop waited until the lock was released).
            let locker = Task {
                try await nodes.sql("BEGIN; LOCK TABLE kairos.slots IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(90); COMMIT;")
            }
            let lockHeld = """
                SELECT count(*) FROM pg_locks
                WHERE relation = 'kairos.slots'::regclass AND mode = 'AccessExclusiveLock' AND granted
                """
            try await eventually { try await nodes.sql(lockHeld) == "1" }
            running.cancel()
            try await running.value
            #expect(try await nodes.sql(lockHeld) == "1", "run() returned only once the database answered again")

            _ = try await nodes.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(90)%' AND pid <> pg_backend_pid()")
            _ = try? await locker.value
            // Not handed back (the database did not answer): its lease expires, another node rescues it.
            let rescuer = try nodes.node("rescuer")
            try await eventually { try await rescuer.rescueExpiredLeases() > 0 }
            let run = try #require(try await rescuer.runs(of: job).first)
            #expect(run.state == .pending)
            #expect(run.attempt == 2)
        }
    }
}
