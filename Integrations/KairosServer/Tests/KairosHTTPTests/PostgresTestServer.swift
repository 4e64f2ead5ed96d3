import Foundation
import Hummingbird
import HummingbirdTesting
import Kairos
import KairosPostgres
import KairosPostgresTesting
import Testing

@testable import KairosHTTP

/// The API on loopback over ``PostgresScheduleBackend``, on a throwaway PostgreSQL server with a
/// database of its own, with ``TestServer``'s tokens.
struct PostgresTestServer {
    let postgres: TemporaryPostgres
    let url: String
    let backend: PostgresScheduleBackend
    let api: KairosAPI

    /// Starts a PostgreSQL server, runs `body` with the API over it, and stops both.
    static func with(_ body: @Sendable (PostgresTestServer, Client) async throws -> Void) async throws {
        try await TemporaryPostgres.with { postgres in
            let url = try await postgres.createDatabase("api")
            var configuration = try PostgresScheduler.Configuration(url: url)
            configuration.nodeID = "api-test"
            let backend = PostgresScheduleBackend(node: try PostgresScheduler(configuration: configuration))
            let api = KairosAPI(backend: backend, configuration: TestServer.configuration(directory: TestServer.makeDirectory()))
            let server = PostgresTestServer(postgres: postgres, url: url, backend: backend, api: api)
            let router = Router()
            api.addRoutes(to: router.group())
            var app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            app.beforeServerStarts { try await api.start() }
            try await app.test(.live) { client in try await body(server, Client(client: client)) }
            _ = await backend.stop(timeout: .seconds(5))
        }
    }
}
