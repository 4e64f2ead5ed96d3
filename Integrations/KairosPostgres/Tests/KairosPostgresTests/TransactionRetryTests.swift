import Foundation
import Synchronization
import Testing

@testable import KairosPostgres

/// The node's transactions are retried on a serialization failure or a deadlock, as documented.
@Suite(.timeLimit(.minutes(2)))
struct TransactionRetryTests {
    @Test func aSerializationFailureInsideATransactionIsRetried() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            let attempts = Mutex(0)
            // postgres-nio wraps the body's error in a PostgresTransactionError; before, the retry
            // looked for the SQLSTATE on the wrapper only, found none and never retried.
            let result = try await node.transaction { connection in
                let attempt = attempts.withLock { attempts -> Int in
                    attempts += 1
                    return attempts
                }
                if attempt == 1 { throw PostgresSchedulerError.database(sqlState: "40001", message: "could not serialize") }
                return try await connection.query("SELECT 7", logger: node.queryLogger).collect().first?.decode(Int.self)
            }
            #expect(result == 7)
            #expect(attempts.withLock { $0 } == 2)
        }
    }

    @Test func anErrorInsideATransactionIsClassifiedByItsCause() async throws {
        try await InProcessNodes.with { nodes in
            let node = try nodes.node("a")
            try await node.migrate()
            do {
                _ = try await node.transaction { connection in
                    try await connection.query("SELECT 1 / 0", logger: node.queryLogger).collect()
                }
                Issue.record("division by zero succeeded")
            } catch {
                // Before: "cannot reach PostgreSQL", for any error inside a transaction.
                let classified = PostgresSchedulerError(error, configuration: node.configuration)
                guard case .database(let state, _) = classified else {
                    Issue.record("classified as \(classified)")
                    return
                }
                #expect(state == "22012")
            }
        }
    }
}
