import Foundation
import PostgresNIO
import Testing

/// The throwaway server that every PostgreSQL test uses: it starts, answers a client, keeps its data
/// across a crash restart, and leaves nothing behind.
@Suite(.timeLimit(.minutes(3)))
struct TemporaryPostgresTests {
    @Test func aStartedServerAnswersAQueryFromPostgresNIO() async throws {
        try await TemporaryPostgres.with { postgres in
            let client = PostgresClient(
                configuration: .init(
                    host: "127.0.0.1", port: postgres.port, username: "postgres", password: nil,
                    database: "postgres", tls: .disable))
            let answer = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let rows = try await client.query("SELECT 1")
                var values: [Int] = []
                for try await value in rows.decode(Int.self) { values.append(value) }
                return values
            }
            #expect(answer == [1])
        }
    }

    @Test func committedDataSurvivesACrashRestartAndStopRemovesTheDirectory() async throws {
        let postgres = try TemporaryPostgres()
        try await postgres.start()
        let url = try await postgres.createDatabase("survivor")
        #expect(url == "postgres://postgres@127.0.0.1:\(postgres.port)/survivor")
        try await postgres.psql("CREATE TABLE t(v int); INSERT INTO t VALUES (42)", database: "survivor")
        try await postgres.restart()
        #expect(try await postgres.psql("SELECT v FROM t", database: "survivor") == "42")
        await postgres.stop()
        #expect(!FileManager.default.fileExists(atPath: postgres.directory.path))
        await #expect(throws: TemporaryPostgres.Failure.self) {
            try await postgres.psql("SELECT 1")
        }
    }
}
