import Foundation
import Kairos
import Synchronization
import Testing

@testable import KairosPostgres

/// `PostgresScheduler` nodes in one process on a real PostgreSQL: exactly-once slots, changes
/// reaching every node, fencing, rescue, overlap by constraint, catch-up after downtime.
@Suite(.timeLimit(.minutes(5)))
struct PostgresSchedulerTests {
    @Test func eachSlotRunsOnceAcrossThreeNodes() async throws {
        try await InProcessNodes.with { nodes in
            let ledger = Ledger()
            let schedulers = try ["a", "b", "c"].map { try nodes.node($0) }
            try await schedulers[0].migrate()
            for scheduler in schedulers {
                let node = scheduler.configuration.nodeID
                scheduler.register("record") { context, _ in ledger.append(context, node: node) }
            }
            let now = Date()
            for index in 0..<60 {
                try await schedulers[index % 3].schedule(name: "once \(index)", function: "record", trigger: OnceTrigger(at: now))
            }
            let interval = try await schedulers[0].schedule(
                name: "every 50 ms", function: "record", trigger: try IntervalTrigger(every: .milliseconds(50)),
                options: JobOptions(maxRuns: 6, overlap: .allowAll(limit: 6)))
            for scheduler in schedulers { nodes.start(scheduler) }
            try await eventually { try await schedulers[0].storedJobs(status: .completed).count == 61 }

            let entries = ledger.all
            #expect(entries.count == 66)
            #expect(Set(entries.map(\.key)).count == 66)
            #expect(entries.allSatisfy { $0.attempt == 1 })
            let runs = try await schedulers[1].runs(of: interval)
            #expect(runs.count == 6)
            #expect(runs.allSatisfy { $0.state == .succeeded })
            #expect(Set(runs.map(\.key)) == Set(entries.map(\.key)).intersection(runs.map(\.key)))
            #expect(try await schedulers[2].storedJob(interval)?.counters.runs == 6)
        }
    }

    @Test func pausedAndCancelledJobsStopOnEveryNode() async throws {
        try await InProcessNodes.with { nodes in
            let manager = try nodes.node("manager")
            let worker = try nodes.node("worker")
            try await manager.migrate()
            let ledger = Ledger()
            worker.register("tick") { context, _ in ledger.append(context, node: "worker") }
            worker.register("block") { context, _ in
                ledger.append(context, node: "worker")
                try await Task.sleep(for: .seconds(600))
            }
            nodes.start(worker)
            let tick = try await manager.schedule(name: "tick", function: "tick", trigger: try IntervalTrigger(every: .milliseconds(20)))
            try await eventually { ledger.count >= 3 }

            try await manager.pause(tick)
            #expect(try await manager.storedJob(tick)?.status == .paused)
            // Whoever looks, nothing is materialised or claimed for a paused job.
            #expect(try await manager.materializeDueSlots() == 0)
            #expect(try await manager.claim(limit: 10, functions: ["tick"]).isEmpty)
            try await eventually {
                try await nodes.sql("SELECT count(*) FROM kairos.slots WHERE job_id = \(tick) AND state = 'running'") == "0"
            }
            let runsWhilePaused = ledger.count
            #expect(try await manager.materializeDueSlots() == 0)
            #expect(ledger.count == runsWhilePaused)

            try await manager.resume(tick, catchingUp: false)
            try await eventually { ledger.count > runsWhilePaused + 2 }
            #expect(try await manager.cancel(tick))
            #expect(try await !manager.cancel(tick))
            #expect(try await manager.storedJob(tick)?.status == .cancelled)
            #expect(try await manager.materializeDueSlots() == 0)

            // A run going on the worker is cancelled there by the manager's cancel.
            let block = try await manager.schedule(name: "block", function: "block", trigger: OnceTrigger(at: Date()))
            try await eventually { ledger.all.contains { $0.key.hasPrefix("\(block)@") } }
            #expect(try await manager.cancel(block))
            try await eventually { try await manager.runs(of: block).first?.state == .failed }
            #expect(try await manager.runs(of: block).first?.error == "cancelled")
        }
    }

    @Test func aCompletionWithAStaleTokenIsRejectedAndNeverRecordedTwice() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let job = try await node.schedule(name: "manual", function: "f", trigger: ManualTrigger())
            try await node.runNow(job)
            let claimed = try await node.claim(limit: 10, functions: ["f"])
            try #require(claimed.count == 1)
            let slot = claimed[0]
            #expect(try await !node.recordCompletion(key: slot.key, token: slot.token + 1, succeeded: true))
            #expect(try await node.runs(of: job).first?.state == .running)
            #expect(try await node.recordCompletion(key: slot.key, token: slot.token, succeeded: true))
            #expect(try await !node.recordCompletion(key: slot.key, token: slot.token, succeeded: true))
            #expect(try await node.runs(of: job).first?.state == .succeeded)
            #expect(try await node.storedJob(job)?.counters.runs == 1)
        }
    }

    @Test func aRunningNodeLogsAndDropsItsStaleCompletion() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let released = Atomic<Bool>(false)
            let ledger = Ledger()
            node.register("wait") { context, _ in
                ledger.append(context, node: "a")
                while !released.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(2)) }
            }
            nodes.start(node)
            let job = try await node.schedule(name: "wait", function: "wait", trigger: OnceTrigger(at: Date()))
            try await eventually { ledger.count == 1 }
            // Another node rescued and re-claimed the slot meanwhile: its token changed.
            _ = try await nodes.sql("UPDATE kairos.slots SET token = token + 1000 WHERE job_id = \(job)")
            released.store(true, ordering: .relaxed)
            try await eventually { node.staleCompletionCount == 1 }
            #expect(try await node.runs(of: job).first?.state == .running)
            #expect(try await node.storedJob(job)?.counters.runs == 0)
        }
    }

    @Test func rescueMovesAnExpiredLeaseBackToPendingWithTheSameKey() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a") { $0.maxAttempts = 2 }
            try await node.migrate()
            let job = try await node.schedule(name: "manual", function: "f", trigger: ManualTrigger())
            try await node.runNow(job)
            let first = try #require(try await node.claim(limit: 10, functions: ["f"]).first)
            #expect(first.attempt == 1)
            #expect(try await node.rescueExpiredLeases() == 0)

            _ = try await nodes.sql("UPDATE kairos.slots SET lease_until = now() - interval '1 second' WHERE key = '\(first.key)'")
            #expect(try await node.rescueExpiredLeases() == 1)
            let rescued = try #require(try await node.runs(of: job).first)
            #expect(rescued.key == first.key)
            #expect(rescued.state == .pending)
            #expect(rescued.attempt == 2)
            #expect(try await !node.recordCompletion(key: first.key, token: first.token, succeeded: true))

            let second = try #require(try await node.claim(limit: 10, functions: ["f"]).first)
            #expect(second.key == first.key)
            #expect(second.attempt == 2)
            #expect(second.token > first.token)
            _ = try await nodes.sql("UPDATE kairos.slots SET lease_until = now() - interval '1 second' WHERE key = '\(first.key)'")
            #expect(try await node.rescueExpiredLeases() == 1)
            let failed = try #require(try await node.runs(of: job).first)
            #expect(failed.state == .failed)
            #expect(failed.attempt == 2)
            #expect(try await node.storedJob(job)?.counters.failures == 1)
        }
    }

    @Test func theLaneIndexAllowsOneRunningSlotPerLane() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let single = try await node.schedule(
                name: "single", function: "f", trigger: ManualTrigger(), options: JobOptions(overlap: .skip))
            for _ in 0..<3 { try await node.runNow(single) }
            #expect(try await node.claim(limit: 10, functions: ["f"]).count == 1)
            #expect(try await node.claim(limit: 10, functions: ["f"]).isEmpty)
            // The index itself refuses a second running slot in the lane.
            await #expect(throws: (any Error).self) {
                try await nodes.sql(
                    """
                    UPDATE kairos.slots SET state = 'running', lane = 0, token = 0
                    WHERE key = (SELECT key FROM kairos.slots WHERE job_id = \(single) AND state = 'pending' LIMIT 1)
                    """)
            }

            let wide = try await node.schedule(
                name: "wide", function: "g", trigger: ManualTrigger(), options: JobOptions(overlap: .allowAll(limit: 2)))
            for _ in 0..<3 { try await node.runNow(wide) }
            #expect(try await node.claim(limit: 10, functions: ["g"]).count == 2)
            #expect(try await node.claim(limit: 10, functions: ["g"]).isEmpty)
        }
    }

    @Test func catchUpAfterTheWholeClusterWasDownFollowsEachJobsMisfirePolicy() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            // Every minute from T0; the cluster was down since T0, 10.5 minutes ago: 11 missed dates.
            let now = try #require(Double(try await nodes.sql("SELECT extract(epoch FROM now())")))
            let start = (now - 630).rounded()
            let cases: [(MisfirePolicy, runs: [Int], missed: Int)] = [
                (.runLatest, [10], 10),
                (.runEarliest, [0], 10),
                (.runAll, Array(0...10), 0),
                (.skip, [], 11),
                (MisfirePolicy(catchUpWindow: .seconds(300), mode: .runAll), [6, 7, 8, 9, 10], 6),
            ]
            var jobs: [JobID] = []
            for (policy, _, _) in cases {
                jobs.append(
                    try await node.schedule(
                        name: "\(policy)", function: "f",
                        trigger: try IntervalTrigger(every: .seconds(60), startingAt: Date(timeIntervalSince1970: start)),
                        options: JobOptions(misfire: policy)))
            }
            _ = try await nodes.sql("UPDATE kairos.jobs SET next_due = to_timestamp(\(start))")
            while try await node.materializeDueSlots() > 0 {}

            for (job, expected) in zip(jobs, cases) {
                let runs = try await node.runs(of: job).sorted { $0.dueDate < $1.dueDate }
                #expect(runs.map { Int(($0.dueDate.timeIntervalSince1970 - start) / 60) } == expected.runs, "\(expected.0)")
                #expect(runs.allSatisfy { $0.state == .pending })
                let stored = try #require(try await node.storedJob(job))
                #expect(stored.counters.missed == expected.missed, "\(expected.0)")
                #expect(stored.nextDueDate?.timeIntervalSince1970 == start + 660, "\(expected.0)")
            }
        }
    }

    @Test func declaringAKeyThroughTheSeamIsAnUpsert() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            func declare(_ scheduler: some DurableJobScheduler, arguments: JSONValue) async throws -> JobID {
                try await scheduler.schedule(
                    key: "report", name: "report", function: "f", arguments: arguments,
                    trigger: try IntervalTrigger(every: .seconds(60)), options: JobOptions())
            }
            let id = try await declare(node, arguments: ["to": "a"])
            let version = try await nodes.sql("SELECT version FROM kairos.jobs WHERE id = \(id)")
            #expect(try await declare(node, arguments: ["to": "a"]) == id)
            #expect(try await nodes.sql("SELECT version FROM kairos.jobs WHERE id = \(id)") == version)
            #expect(try await declare(node, arguments: ["to": "b"]) == id)
            let stored = try #require(try await node.storedJob(id))
            #expect(stored.key == "report")
            #expect(stored.arguments == ["to": "b"])
            #expect(try await node.storedJobs().count == 1)
            #expect(try await node.cancel(id))
            #expect(try await declare(node, arguments: ["to": "b"]) != id)
            await #expect(
                throws: PostgresSchedulerError.triggerNotSupported(
                    "signal triggers fire on signals sent to one process; a cluster has none")
            ) {
                try await node.schedule(function: "f", trigger: SignalTrigger(key: "x"))
            }
        }
    }

    @Test func migrationsAreIdempotentSafeConcurrentlyAndRefuseANewerSchema() async throws {
        try await InProcessNodes.with { nodes in
            let schedulers = try (0..<3).map { try nodes.node("n\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for scheduler in schedulers { group.addTask { try await scheduler.migrate() } }
                try await group.waitForAll()
            }
            #expect(try await nodes.sql("SELECT version FROM kairos.schema_version") == "1")
            try await schedulers[0].migrate()
            #expect(try await nodes.sql("SELECT count(*) FROM kairos.schema_version") == "1")
            #expect(
                try await nodes.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'kairos'") == "4")

            _ = try await nodes.sql("UPDATE kairos.schema_version SET version = 99")
            await #expect(throws: PostgresSchedulerError.schemaNewerThanCode(found: 99, supported: 1)) {
                try await schedulers[0].migrate()
            }
            let checking = try nodes.node("check") { $0.runsMigrations = false }
            await #expect(throws: PostgresSchedulerError.schemaNewerThanCode(found: 99, supported: 1)) {
                try await checking.run()
            }
            let elsewhere = try nodes.node("other") {
                $0.schema = "other"
                $0.runsMigrations = false
            }
            await #expect(throws: PostgresSchedulerError.schemaMissing("other")) { try await elsewhere.migrate() }
        }
    }

    @Test func badConnectionSettingsAreTypedErrors() async throws {
        #expect(throws: PostgresSchedulerError.invalidURL("mysql://u@h/d", reason: "the scheme must be postgres:// or postgresql://")) {
            try PostgresScheduler.Configuration(url: "mysql://u@h/d")
        }
        #expect(throws: PostgresSchedulerError.invalidURL("postgres://u@h", reason: "no database (postgres://user@host/database)")) {
            try PostgresScheduler.Configuration(url: "postgres://u@h")
        }
        var badSchema = try PostgresScheduler.Configuration(url: "postgres://u@h/d")
        badSchema.schema = "Robert'); DROP TABLE"
        #expect(throws: PostgresSchedulerError.invalidSchemaName("Robert'); DROP TABLE")) {
            try PostgresScheduler(configuration: badSchema)
        }

        let closedPort = try TemporaryPostgres.freePort()
        let unreachable = try PostgresScheduler(configuration: try .init(url: "postgres://u@127.0.0.1:\(closedPort)/d"))
        do {
            try await unreachable.migrate()
            Issue.record("migrate() succeeded without a server")
        } catch {
            guard case .unreachable(let host, let port, _) = error else { throw error }
            #expect(host == "127.0.0.1" && port == closedPort)
        }

        let hba = FileManager.default.temporaryDirectory.appendingPathComponent("kairos-hba-\(UUID()).conf")
        try "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
            .write(to: hba, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: hba.path)
        defer { try? FileManager.default.removeItem(at: hba) }
        try await TemporaryPostgres.with(settings: ["hba_file": hba.path]) { postgres in
            try await postgres.psql("CREATE ROLE kairos LOGIN PASSWORD 'right'")
            let missing = try PostgresScheduler(configuration: try .init(url: postgres.url(database: "nope")))
            await #expect(throws: PostgresSchedulerError.databaseMissing("nope")) { try await missing.migrate() }
            let wrong = try PostgresScheduler(configuration: try .init(url: "postgres://kairos:wrong@127.0.0.1:\(postgres.port)/postgres"))
            do {
                try await wrong.migrate()
                Issue.record("migrate() succeeded with a wrong password")
            } catch let error as PostgresSchedulerError {
                guard case .authenticationFailed(let user, _) = error else { throw error }
                #expect(user == "kairos")
            }
        }
    }
}
