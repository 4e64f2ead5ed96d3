import Foundation
import Kairos
import KairosPostgres
import PostgresNIO

/// One `kairos-cluster-node` process: a ``PostgresScheduler`` with the ledger job function
/// registered, and a second connection pool for the ledger and marks.
struct ClusterNode {
    /// The one job function every node registers. Arguments: `{"sleep_ms": N}` (optional) makes
    /// the body sleep N ms after its ledger insert, the benchmarks' slow `j0`.
    static let ledgerFunction = "ledger"

    let command: NodeCommand
    let name: String

    /// The scheduler configuration from the command's options.
    static func configuration(_ command: NodeCommand, node: String) throws -> PostgresScheduler.Configuration {
        var configuration = try PostgresScheduler.Configuration(url: command.url)
        configuration.nodeID = node
        // run() returns within this plus a second: inside TerminationSignals' 4.5 s, and the
        // peer harness's SIGKILL 5 s after its SIGTERM.
        configuration.shutdownGracePeriod = .milliseconds(2500)
        if let schema = command.schema { configuration.schema = schema }
        if let maxRuns = command.maxRuns { configuration.maxConcurrentRuns = maxRuns }
        if let lease = command.lease { configuration.leaseDuration = .milliseconds(Int64(lease * 1000)) }
        if let poll = command.poll { configuration.pollInterval = .milliseconds(Int64(poll * 1000)) }
        if let offset = command.clockOffset { configuration.clock = SkewedClock(offset: offset) }
        return configuration
    }

    /// The `sleep_ms` argument, when positive (stored JSON may bring it back as a whole double).
    static func sleepMilliseconds(_ arguments: JSONValue) -> Int? {
        guard case .object(let fields) = arguments else { return nil }
        switch fields["sleep_ms"] {
        case .integer(let milliseconds)? where milliseconds > 0: return milliseconds
        case .number(let milliseconds)? where milliseconds >= 1 && milliseconds < 1e9: return Int(milliseconds)
        default: return nil
        }
    }

    /// The ledger's connection pool: the scheduler's database, without TLS (the tests and
    /// benchmarks run on 127.0.0.1), with a short connect timeout:
    /// a stopping pool waits for the connection attempts it has started.
    static func ledgerClientConfiguration(_ configuration: PostgresScheduler.Configuration) -> PostgresClient.Configuration {
        var client = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        client.options.connectTimeout = .seconds(2)
        return client
    }

    /// Runs the node until SIGTERM or SIGINT, then shuts down gracefully.
    func run() async throws {
        let configuration = try Self.configuration(command, node: name)
        let scheduler = try PostgresScheduler(configuration: configuration)
        // Connection, authentication and schema problems surface here, as the library's typed errors.
        try await scheduler.migrate()
        let client = PostgresClient(configuration: Self.ledgerClientConfiguration(configuration))
        // Not awaited at the end: a cancelled pool returns only once the connection attempts it
        // started have ended, and the process exits anyway.
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        let ledger = try await Ledger.open(client: client, node: name)
        scheduler.register(Self.ledgerFunction) { context, arguments in
            try await ledger.record(
                job: context.name, due: context.dueDate, idempotencyKey: context.idempotencyKey,
                attempt: context.attempt)
            if let milliseconds = Self.sleepMilliseconds(arguments) {
                try await Task.sleep(for: .milliseconds(milliseconds))
            }
        }
        try await ledger.markStart()
        let running = Task { try await scheduler.run() }
        let signals = TerminationSignals { _ in running.cancel() }
        defer { withExtendedLifetime(signals) {} }
        // Returns after SIGTERM or SIGINT, once run() has finished or handed back its runs.
        try await running.value
    }
}
