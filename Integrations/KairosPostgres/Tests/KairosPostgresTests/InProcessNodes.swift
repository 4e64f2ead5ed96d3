import Foundation
import Kairos
import Synchronization
import Testing

@testable import KairosPostgres

/// `PostgresScheduler` nodes in the test process sharing one throwaway database, for the
/// single-process tests: makes nodes, runs them in tasks, and waits for conditions.
final class InProcessNodes: Sendable {
    let postgres: TemporaryPostgres
    let url: String
    private let tasks = Mutex<[Task<Void, any Error>]>([])

    init(_ postgres: TemporaryPostgres, database: String) async throws {
        self.postgres = postgres
        self.url = try await postgres.createDatabase(database)
    }

    /// A node (not running) with fast test timings.
    func node(_ id: String, _ adjust: (inout PostgresScheduler.Configuration) -> Void = { _ in }) throws -> PostgresScheduler {
        var configuration = try PostgresScheduler.Configuration(url: url)
        configuration.nodeID = id
        configuration.pollInterval = .milliseconds(200)
        configuration.leaseDuration = .seconds(3)
        adjust(&configuration)
        return try PostgresScheduler(configuration: configuration)
    }

    /// Runs `node` until ``stopAll()``.
    func start(_ node: PostgresScheduler) {
        tasks.withLock { $0.append(Task { try await node.run() }) }
    }

    /// Cancels every running node and waits for their graceful ends.
    func stopAll() async throws {
        let running = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { try await task.value }
    }

    /// One value from SQL (psql's unaligned output, trimmed).
    func sql(_ statement: String) async throws -> String {
        try await postgres.psql(statement, database: String(url.split(separator: "/").last!))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with a fresh server (with the server `settings`) and database, and stops the
    /// nodes and the server after.
    static func with<T>(
        _ database: String = "kairos_test", settings: [String: String] = [:], _ body: (InProcessNodes) async throws -> T
    ) async throws -> T {
        try await TemporaryPostgres.with(settings: settings) { postgres in
            let nodes = try await InProcessNodes(postgres, database: database)
            // A database younger than a lease rescues nothing (its nodes get a lease to reconnect):
            // let the tests' 3 s lease pass since the server started.
            try await eventually { try await nodes.sql("SELECT now() - pg_postmaster_start_time() > interval '3 s'") == "t" }
            do {
                let result = try await body(nodes)
                try await nodes.stopAll()
                return result
            } catch {
                try? await nodes.stopAll()
                throw error
            }
        }
    }
}

/// Waits until `condition` holds, looking every few milliseconds (the suite's time limit bounds it).
func eventually(_ condition: () async throws -> Bool) async throws {
    while try await !condition() {
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// What job functions did, for assertions: (idempotency key, node, attempt) per execution.
final class Ledger: Sendable {
    struct Entry: Hashable, Sendable {
        var key: String
        var node: String
        var attempt: Int
    }

    private let entries = Mutex<[Entry]>([])

    func append(_ context: JobContext, node: String) {
        entries.withLock { $0.append(Entry(key: context.idempotencyKey, node: node, attempt: context.attempt)) }
    }

    var all: [Entry] { entries.withLock { $0 } }
    var count: Int { entries.withLock { $0.count } }
}
