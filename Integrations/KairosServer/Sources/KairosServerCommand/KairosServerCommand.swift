import ArgumentParser
import Foundation
import Hummingbird
import Kairos
import KairosDashboard
import KairosHTTP
import KairosPostgres
import Logging
import ServiceLifecycle

/// `kairos-server`: the Kairos HTTP API as a standalone server over an embedded state file, or
/// over the PostgreSQL cluster store shared by several servers (`--postgres URL`).
///
/// ```
/// kairos-server --state /var/lib/kairos/state.json --host 0.0.0.0 --port 8080 --token-file /etc/kairos/tokens
/// kairos-server --postgres postgres://kairos@db:5432/kairos --host 0.0.0.0 --token-file /etc/kairos/tokens
/// ```
///
/// Tokens come from `--token` (read-write), `--read-token` (read-only), `--token-file` (one a
/// line, `ro:` or `rw:` before it) and the environment (`KAIROS_TOKEN`, `KAIROS_READ_TOKEN`).
/// With none, the server listens on loopback only. SIGTERM or SIGINT stops it gracefully: the
/// HTTP server stops taking requests and the runs going finish (up to `--drain-timeout`).
public struct KairosServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kairos-server",
        abstract: "Schedules over HTTP: cron, interval, once and event triggers running shell commands or webhooks.")

    @Option(name: .long, help: "The state file (created if missing).")
    public var state: String = "./kairos-state.json"

    @Option(
        name: .long,
        help: "The PostgreSQL cluster store, postgres://user:password@host:port/database (also KAIROS_POSTGRES_URL); replaces --state.")
    public var postgres: String?

    @Option(name: .long, help: "The address to listen on.")
    public var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0: any free port).")
    public var port: Int = 8080

    @Option(name: .long, help: "A read-write bearer token (repeatable). Prefer --token-file or KAIROS_TOKEN: arguments show in ps.")
    public var token: [String] = []

    @Option(name: .customLong("read-token"), help: "A read-only bearer token (repeatable).")
    public var readToken: [String] = []

    @Option(name: .customLong("token-file"), help: "A file of tokens, one a line, \"ro:\" or \"rw:\" before each (read-write when none).")
    public var tokenFile: String?

    @Option(name: .customLong("webhook-allow-host"), help: "A host webhooks may call (repeatable); without any, every host.")
    public var webhookAllowHost: [String] = []

    @Flag(name: .customLong("disable-shell"), help: "Refuse shell actions.")
    public var disableShell = false

    @Flag(name: .customLong("disable-webhooks"), help: "Refuse webhook actions.")
    public var disableWebhooks = false

    @Option(name: .customLong("max-body-bytes"), help: "The largest request body accepted.")
    public var maxBodyBytes: Int = 1 << 20

    @Option(name: .customLong("drain-timeout"), help: "Seconds that running actions get to finish at shutdown.")
    public var drainTimeout: Int = 30

    @Option(name: .customLong("max-concurrent-runs"), help: "Runs executing at once.")
    public var maxConcurrentRuns: Int = 16

    @Option(
        name: .customLong("public-origin"),
        help: "The origin the dashboard is reached at behind a proxy (https://kairos.example.com): its posts must come from it; https makes its cookie Secure.")
    public var publicOrigin: String?

    public init() {}

    public mutating func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535 (got \(port))") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
        guard maxConcurrentRuns >= 1 else { throw ValidationError("--max-concurrent-runs must be at least 1") }
        if let publicOrigin, !(publicOrigin.hasPrefix("https://") || publicOrigin.hasPrefix("http://")) || URL(string: publicOrigin)?.host == nil {
            throw ValidationError("--public-origin must be an http:// or https:// origin such as https://kairos.example.com (got \(publicOrigin))")
        }
        if let url = postgresURL(environment: ProcessInfo.processInfo.environment) {
            _ = try Self.clusterConfiguration(url: url, maxConcurrentRuns: maxConcurrentRuns)
        }
    }

    /// The cluster store's URL: `--postgres`, else `KAIROS_POSTGRES_URL`; `nil` for the state file.
    func postgresURL(environment: [String: String]) -> String? {
        postgres ?? environment["KAIROS_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The node's configuration for `url`, or a usage error saying what is wrong with the URL.
    static func clusterConfiguration(url: String, maxConcurrentRuns: Int) throws -> PostgresScheduler.Configuration {
        do {
            var configuration = try PostgresScheduler.Configuration(url: url)
            configuration.maxConcurrentRuns = maxConcurrentRuns
            return configuration
        } catch {
            throw ValidationError("--postgres: \(error)")
        }
    }

    /// The store the API drives: the cluster store, connected and migrated, or the state file.
    private func openBackend(logger: Logger) async throws -> any ScheduleBackend {
        if let url = postgresURL(environment: ProcessInfo.processInfo.environment) {
            let node: PostgresScheduler
            do {
                node = try PostgresScheduler(configuration: try Self.clusterConfiguration(url: url, maxConcurrentRuns: maxConcurrentRuns))
                try await node.migrate()
            } catch let error as PostgresSchedulerError {
                // Not a usage error: the database is down, refuses the user, or holds a newer schema.
                FileHandle.standardError.write(Data("kairos-server: cannot use the PostgreSQL store: \(error)\n".utf8))
                throw ExitCode(Self.storeUnavailableStatus)
            }
            return PostgresScheduleBackend(node: node)
        }
        let scheduler: PersistentScheduler
        do {
            scheduler = try PersistentScheduler(
                stateFile: state,
                configuration: .init(scheduler: .init(maxConcurrentJobs: maxConcurrentRuns)))
        } catch {
            throw ValidationError("cannot open the state file: \(error)")
        }
        if let dropped = scheduler.droppedJournalRecord { logger.warning("the journal's last record was cut off and dropped: \(dropped)") }
        return scheduler
    }

    /// The exit status when the PostgreSQL store cannot be used at start (`EX_UNAVAILABLE`).
    static let storeUnavailableStatus: Int32 = 69

    /// The tokens from the options, the token file and the environment.
    func accessTokens(environment: [String: String]) throws -> AccessTokens {
        var tokens = AccessTokens()
        for value in token + (environment["KAIROS_TOKEN"].map { [$0] } ?? []) where !value.isEmpty { tokens.add(value, scope: .readWrite) }
        for value in readToken + (environment["KAIROS_READ_TOKEN"].map { [$0] } ?? []) where !value.isEmpty { tokens.add(value, scope: .readOnly) }
        if let tokenFile {
            guard let contents = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("cannot read the token file \(tokenFile)")
            }
            try tokens.add(fileContents: contents, file: tokenFile)
            if tokens.isEmpty { throw ValidationError("the token file \(tokenFile) holds no token") }
        }
        return tokens
    }

    /// Whether `host` is a loopback address, the only kind the server listens on without tokens.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public func run() async throws {
        var logger = Logger(label: "kairos-server")
        logger.logLevel = .info
        let tokens = try accessTokens(environment: ProcessInfo.processInfo.environment)
        if tokens.isEmpty, !Self.isLoopback(host) {
            throw ValidationError("no token is configured: refusing to listen on \(host), beyond loopback (give --token-file or KAIROS_TOKEN)")
        }
        let backend = try await openBackend(logger: logger)
        let configuration = KairosAPIConfiguration(
            tokens: tokens, maximumBodyBytes: maxBodyBytes,
            allowedWebhookHosts: webhookAllowHost.isEmpty ? nil : Set(webhookAllowHost),
            allowsShellActions: !disableShell, allowsWebhookActions: !disableWebhooks,
            recordsFile: backend is PersistentScheduler ? state + ".server.json" : nil)
        let api = KairosAPI(backend: backend, configuration: configuration, logger: logger)
        let router = Router(context: DashboardRequestContext.self)
        api.addRoutes(to: router.group())
        KairosDashboard(api: api, configuration: .init(publicOrigin: publicOrigin)).addRoutes(to: router)
        let host = self.host
        var app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "kairos-server"),
            onServerRunning: { channel in
                // The port actually bound (for --port 0), on standard output for scripts.
                let line = "kairos-server listening on \(host):\(channel.localAddress?.port ?? 0)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }, logger: logger)
        app.beforeServerStarts { try await api.start() }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: api.service(drainTimeout: .seconds(drainTimeout))), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        (backend as? PersistentScheduler)?.close()
    }
}

extension KairosServerCommand {
    /// Parses the process's arguments and runs the command, exiting with argument-parser's status
    /// on an error (`main.swift`'s one line: argument-parser's synchronous `main()` would be
    /// chosen there, and it refuses an async command).
    public static func runAsRoot() async {
        do {
            var command = try parseAsRoot()
            if let server = command as? KairosServerCommand {
                try await server.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
