import Foundation
import Testing

/// A job scheduled by a process that runs no jobs (`submit A propagation T`, the benchmarks'
/// standby client) reaches an idle node B: through LISTEN/NOTIFY when B's fallback poll is an hour
/// (so the poll cannot be what wakes it), and through the poll when B's listen connection keeps
/// being killed with `pg_terminate_backend`. How fast is the benchmark's business, not this test's.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PropagationTests {
    @Test func aChangeOnOneNodeReachesAnIdleNodeThroughListenWithoutThePoll() async throws {
        try await ClusterTestbed.with("listen") { testbed in
            let node = try testbed.startNode("B", ["--poll", "3600"])
            try await testbed.waitForNodeStarts(1)
            let submit = try await testbed.runCommand(["submit", "A", "propagation", "5"])
            #expect(submit.status == 0, "submit: \(submit.output)")
            #expect(try await testbed.sql("SELECT string_agg(DISTINCT node, ',') FROM ledger") == "B")
            #expect(try await testbed.count("SELECT count(DISTINCT job_id) FROM ledger WHERE job_id LIKE 'p%'") == 5)
            #expect(await node.terminate() == 0)
        }
    }

    @Test func aChangeReachesANodeThroughThePollWhileItsListenConnectionIsKilled() async throws {
        try await ClusterTestbed.with("poll") { testbed in
            let node = try testbed.startNode("B", ["--poll", "1"])
            try await testbed.waitForNodeStarts(1)
            let listeners = """
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'
                """
            try await testbed.waitUntil("SELECT EXISTS (\(listeners))")
            // Kill every listen connection B opens, for as long as the submitter runs.
            let killer = Task {
                var killed = 0
                while !Task.isCancelled {
                    killed += (try? await testbed.count("SELECT count(pg_terminate_backend(pid)) FROM (\(listeners)) l")) ?? 0
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return killed
            }
            let submit = try await testbed.runCommand(["submit", "A", "propagation", "3"])
            killer.cancel()
            let killed = await killer.value
            #expect(submit.status == 0, "submit: \(submit.output)")
            #expect(killed >= 1, "B's listen connection was killed")
            #expect(try await testbed.count("SELECT count(DISTINCT job_id) FROM ledger WHERE job_id LIKE 'p%' AND node = 'B'") == 3)
            #expect(await node.terminate() == 0)
        }
    }
}
