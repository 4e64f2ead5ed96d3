import Foundation
import Kairos
import PostgresNIO

extension PostgresScheduler {
    /// How a node connects, identifies itself, and paces its work.
    public struct Configuration: Sendable {
        /// The server's host name or address.
        public var host: String
        /// The server's port.
        public var port: Int
        /// The user to connect as.
        public var username: String
        /// The user's password, if the server asks for one.
        public var password: String?
        /// The database.
        public var database: String
        /// Whether connections must use TLS (`sslmode=require` in a URL); `false` connects in
        /// plain text.
        public var requiresTLS = false
        /// The PostgreSQL schema holding the scheduler's tables: lower-case letters, digits and
        /// `_`, starting with a letter.
        public var schema: String = "kairos"
        /// Create or upgrade the schema at ``PostgresScheduler/migrate()`` and
        /// ``PostgresScheduler/run()``; `false` only checks it (for a role without DDL rights).
        public var runsMigrations = true
        /// This node's name in the run history and the `nodes` table: unique per running
        /// process. Default: `hostname-pid`.
        public var nodeID: String
        /// The most runs this node executes at once.
        public var maxConcurrentRuns = 100
        /// How long a claimed run stays this node's without a heartbeat; renewed every third of
        /// it. A dead node's runs are rescued after at most this plus one sweep.
        public var leaseDuration: Duration = .seconds(6)
        /// The longest a node sleeps without looking at the database (the fallback when a
        /// notification is lost or the listen connection is down).
        public var pollInterval: Duration = .seconds(5)
        /// The most pending runs claimed in one statement.
        public var claimBatchSize = 200
        /// The most slots one materialising transaction creates (a catch-up with
        /// ``MisfirePolicy/Mode/runAll`` continues in the next).
        public var materializeBatchSize = 1000
        /// How long finished runs stay in the history.
        public var historyRetention: Duration = .seconds(7 * 24 * 3600)
        /// A run whose lease expired this many times is recorded as failed instead of re-run.
        public var maxAttempts = 3
        /// A due date reached later than this counts as missed and follows the job's misfire
        /// policy (as ``Scheduler/Configuration/misfireThreshold``).
        public var misfireThreshold: Duration = .seconds(1)
        /// The misfire policy of jobs that set none.
        public var defaultMisfire: MisfirePolicy = .runLatest
        /// The overlap policy of jobs that set none.
        public var defaultOverlap: OverlapPolicy = .skip
        /// Only turns delays that the database computed into sleeps; never decides what is due.
        public var clock: any SchedulerClock = SystemClock()
        /// The longest one statement may take (the server's `statement_timeout` on the node's
        /// connections). A second later the node stops waiting for a statement's or a transaction's
        /// answer and counts the connection as lost: the pass is retried, and nothing waits on the
        /// database forever.
        public var queryTimeout: Duration = .seconds(10)
        /// How long a stopping node (``PostgresScheduler/run()`` cancelled) waits for the runs going;
        /// then it cancels them and hands their slots back. `run()` returns within this plus one
        /// second, whether the database answers or not.
        public var shutdownGracePeriod: Duration = .seconds(3)

        /// A configuration for a server; see each property for the defaults.
        public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.nodeID = Self.defaultNodeID
        }

        /// A configuration from a URL: `postgres://user:password@host:port/database`, with an
        /// optional `?sslmode=disable|require` and `&schema=name`.
        ///
        /// - Throws: ``PostgresSchedulerError/invalidURL(_:reason:)`` naming what is missing.
        public init(url: String) throws(PostgresSchedulerError) {
            guard let components = URLComponents(string: url) else { throw .invalidURL(url, reason: "not a URL") }
            guard components.scheme == "postgres" || components.scheme == "postgresql" else {
                throw .invalidURL(url, reason: "the scheme must be postgres:// or postgresql://")
            }
            guard let host = components.host, !host.isEmpty else { throw .invalidURL(url, reason: "no host") }
            guard let user = components.user, !user.isEmpty else { throw .invalidURL(url, reason: "no user") }
            let database = String(components.path.drop(while: { $0 == "/" }))
            guard !database.isEmpty else { throw .invalidURL(url, reason: "no database (postgres://user@host/database)") }
            self.init(
                host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 }, database: database)
            for item in components.queryItems ?? [] {
                switch (item.name, item.value) {
                case ("sslmode", "disable"?): requiresTLS = false
                case ("sslmode", "require"?): requiresTLS = true
                case ("schema", let name?): schema = name
                default: throw .invalidURL(url, reason: "unsupported parameter '\(item.name)'")
                }
            }
        }

        static var defaultNodeID: String {
            "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        }

        /// Checks the values a database cannot check.
        func validate() throws(PostgresSchedulerError) {
            guard schema.first.map({ $0.isLetter && $0.isLowercase }) == true,
                schema.utf8.count <= 48,
                schema.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" })
            else { throw .invalidSchemaName(schema) }
            if nodeID.isEmpty { throw .invalidConfiguration("nodeID", reason: "must not be empty") }
            if maxConcurrentRuns < 1 { throw .invalidConfiguration("maxConcurrentRuns", reason: "must be at least 1") }
            if claimBatchSize < 1 { throw .invalidConfiguration("claimBatchSize", reason: "must be at least 1") }
            if materializeBatchSize < 1 { throw .invalidConfiguration("materializeBatchSize", reason: "must be at least 1") }
            if maxAttempts < 1 { throw .invalidConfiguration("maxAttempts", reason: "must be at least 1") }
            if leaseDuration < .milliseconds(300) { throw .invalidConfiguration("leaseDuration", reason: "must be at least 300 ms") }
            if pollInterval <= .zero { throw .invalidConfiguration("pollInterval", reason: "must be positive") }
            if historyRetention < .zero { throw .invalidConfiguration("historyRetention", reason: "must not be negative") }
            if queryTimeout < .milliseconds(100) { throw .invalidConfiguration("queryTimeout", reason: "must be at least 100 ms") }
            if shutdownGracePeriod < .zero { throw .invalidConfiguration("shutdownGracePeriod", reason: "must not be negative") }
        }

        func connectionConfiguration() throws -> PostgresConnection.Configuration {
            let tls: PostgresConnection.Configuration.TLS =
                requiresTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }

        var clientConfiguration: PostgresClient.Configuration {
            var configuration = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database,
                tls: requiresTLS ? .require(.makeClientConfiguration()) : .disable)
            configuration.options.maximumConnections = 8
            configuration.options.connectTimeout = .seconds(5)
            configuration.options.additionalStartupParameters = [
                ("statement_timeout", "\(Int64(queryTimeout.seconds * 1000))")
            ]
            return configuration
        }
    }
}
