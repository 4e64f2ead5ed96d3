import Foundation
import Kairos
import KairosPostgres
import Testing

/// A node frozen with SIGSTOP past its lease loses its run to another node; when it is continued
/// (SIGCONT) and its body finishes, its completion is rejected: the run history keeps the rescuer's
/// attempt, and the stale node logs the rejection.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct FencingTests {
    @Test func theCompletionOfANodeThatLostItsLeaseIsRejected() async throws {
        try await ClusterTestbed.with("fencing") { testbed in
            let firstFire = Int64((Date().timeIntervalSince1970 + 3) * 1000)
            // One job, one slot; its body sleeps 4 s after its ledger insert.
            let setup = try await testbed.runCommand(
                ["setup", "recurring", "1", "1", "\(firstFire)"], environment: ["SLOW_J0_MS": "4000"])
            #expect(setup.status == 0, "setup: \(setup.output)")
            let stale = try testbed.startNode("A", ["--lease", "2"])
            try await testbed.waitUntil("SELECT EXISTS (SELECT 1 FROM ledger WHERE node = 'A')")
            stale.stop()
            // Frozen mid-run: its body sleeps 4 s after the insert, so the slot is still A's.
            #expect(try await testbed.sql("SELECT state || ' ' || owner FROM kairos.slots") == "running A")
            let rescuer = try testbed.startNode("B", ["--lease", "2"])
            // B takes the slot over once A's lease has expired, and finishes it.
            try await testbed.waitUntil(
                "SELECT EXISTS (SELECT 1 FROM kairos.slots WHERE state = 'succeeded' AND owner = 'B')")
            stale.resume()
            // A's body ends (its sleep is long over) and it tries to record its completion.
            while !stale.output().contains("stale completion rejected") {
                try await Task.sleep(for: .milliseconds(50))
            }

            let admin = try PostgresScheduler(configuration: try .init(url: testbed.url))
            let job = try #require(try await admin.storedJobs().first)
            let runs = try await admin.runs(of: job.id)
            #expect(runs.count == 1)
            #expect(runs.first?.state == .succeeded)
            #expect(runs.first?.node == "B")
            #expect(runs.first?.attempt == 2)
            let ledger = try await testbed.sql("SELECT node, attempt FROM ledger ORDER BY started")
            #expect(ledger == "A|1\nB|2")
            #expect(await rescuer.terminate() == 0)
            #expect(await stale.terminate() == 0)
        }
    }
}
