import Foundation
import Synchronization

/// A throwaway PostgreSQL with one database holding the ledger (`ledger` with the idempotency key
/// and attempt columns, and `marks`), and the `kairos-cluster-node` processes a test starts on it.
///
/// ``with(_:_:)`` stops every node (SIGKILL) and the server at the end, also when the test fails.
final class ClusterTestbed: Sendable {
    let postgres: TemporaryPostgres
    /// The database of this test.
    let database: String
    /// The database's URL, for `--url` and for an in-process `PostgresScheduler`.
    let url: String
    /// Where the nodes' logs go: inside the server's directory, removed at the end; a failing test
    /// prints them.
    let logs: URL
    private let nodes = Mutex<[NodeProcess]>([])

    private init(postgres: TemporaryPostgres, database: String, url: String) throws {
        self.postgres = postgres
        self.database = database
        self.url = url
        logs = postgres.directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    }

    /// Runs `body` with a fresh server and database `database`; tears everything down afterwards.
    static func with<T>(
        _ database: String, settings: [String: String] = [:], _ body: (ClusterTestbed) async throws -> T
    ) async throws -> T {
        try await TemporaryPostgres.with(settings: settings) { postgres in
            let url = try await postgres.createDatabase(database)
            try await postgres.psql(ledgerSchema, database: database)
            let testbed = try ClusterTestbed(postgres: postgres, database: database, url: url)
            do {
                let result = try await body(testbed)
                await testbed.killAll()
                return result
            } catch {
                await testbed.killAll()
                testbed.printLogs()
                throw error
            }
        }
    }

    /// The ledger with the fault tests' idempotency key and attempt columns (what the node's
    /// `Ledger` writes when it finds them), and the marks table.
    static let ledgerSchema = """
        CREATE TABLE ledger (
          id bigserial PRIMARY KEY, job_id text NOT NULL, due timestamptz NOT NULL, node text NOT NULL,
          started timestamptz NOT NULL, recorded timestamptz NOT NULL DEFAULT clock_timestamp(),
          idempotency_key text, attempt integer);
        CREATE TABLE marks (
          what text NOT NULL, node text, pid integer, info text,
          ts timestamptz NOT NULL DEFAULT clock_timestamp());
        """

    /// Starts `kairos-cluster-node --url URL --node NAME EXTRA…`.
    @discardableResult
    func startNode(_ name: String, _ extra: [String] = []) throws -> NodeProcess {
        let node = try NodeProcess(name: name, arguments: ["--url", url, "--node", name] + extra, logDirectory: logs)
        nodes.withLock { $0.append(node) }
        return node
    }

    /// Runs `kairos-cluster-node ARGUMENTS --url URL` to completion (a `setup` command) and
    /// returns its exit status and output.
    func runCommand(
        _ arguments: [String], environment: [String: String] = [:], name: String = "command"
    ) async throws -> (status: Int32, output: String) {
        let process = try NodeProcess(
            name: name, arguments: arguments + ["--url", url], environment: environment, logDirectory: logs)
        let status = await process.waitForExit()
        return (status, process.output())
    }

    /// Stores `jobs` ledger jobs `j0…` firing every second, `seconds` times each, from `delay`
    /// seconds from now (`setup recurring`), with every slot to run: overlapping runs allowed and
    /// every misfired slot run (`--overlap all --misfire all`); `extra` adds setup options.
    /// Returns the first fire, epoch ms.
    func setupEverySecondJobs(_ jobs: Int, seconds: Int, startingIn delay: Double, _ extra: [String] = []) async throws -> Int64 {
        let firstFire = Int64((Date().timeIntervalSince1970 + delay) * 1000)
        let setup = try await runCommand(
            ["setup", "recurring", "\(jobs)", "\(seconds)", "\(firstFire)", "--overlap", "all", "--misfire", "all"] + extra)
        guard setup.status == 0 else {
            throw TemporaryPostgres.Failure(description: "setup recurring failed (\(setup.status)): \(setup.output)")
        }
        // A job stored after its first fire starts at its next date (as `schedule` does in one
        // process): its earlier dates are no slot, which an audit would count as missing.
        let late = try await sql(
            "SELECT count(*) FROM kairos.jobs WHERE next_due IS DISTINCT FROM to_timestamp(\(firstFire)::float8 / 1000)")
        guard late == "0" else {
            throw TemporaryPostgres.Failure(
                description: "setup recurring ended after the first fire (\(delay) s lead): \(late) of \(jobs) jobs start late")
        }
        return firstFire
    }

    /// Runs SQL on the test's database (see ``TemporaryPostgres/psql(_:database:)``).
    @discardableResult
    func sql(_ query: String) async throws -> String {
        try await postgres.psql(query, database: database)
    }

    /// An integer from a one-value query.
    func count(_ query: String) async throws -> Int {
        let text = try await sql(query)
        guard let value = Int(text) else {
            throw TemporaryPostgres.Failure(description: "expected an integer from \(query), got \(text)")
        }
        return value
    }

    /// Waits until `query` (one boolean) is true: the event a test waits for, checked every 100 ms.
    /// The suite's time limit bounds the wait.
    func waitUntil(_ query: String) async throws {
        while try await sql(query) != "t" {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until `count` nodes have written their `node_start` mark.
    func waitForNodeStarts(_ count: Int) async throws {
        try await waitUntil("SELECT count(*) >= \(count) FROM marks WHERE what = 'node_start'")
    }

    /// SIGKILLs every node still running.
    func killAll() async {
        for node in nodes.withLock({ $0 }) where node.isRunning {
            node.resume()
            await node.kill()
        }
    }

    /// Prints each node's log (after a failure).
    func printLogs() {
        for node in nodes.withLock({ $0 }) {
            print("--- \(node.name) (\(node.log.path)):\n\(node.output().suffix(4000))")
        }
    }
}
