import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server for tests: its own cluster in a temporary directory, listening on
/// 127.0.0.1 on a free port, with trust authentication.
///
/// It runs the server binaries of Debian's `postgresql-15` (`/usr/lib/postgresql/15/bin`, or the
/// directory in `KAIROS_POSTGRES_BIN`). `initdb` refuses to run as root, so as root the server runs as
/// the `postgres` user (`runuser -u postgres --`) and owns the directory. The superuser is
/// `postgres`, without a password.
///
/// Call ``stop()`` when done (``with(settings:_:)`` does, also when the body throws). If the test
/// process dies first, a watchdog shell stops the server and removes the directory within a second.
///
/// ```swift
/// try await TemporaryPostgres.with { postgres in
///     let url = try await postgres.createDatabase("fencing")
///     ...
/// }
/// ```
public final class TemporaryPostgres: Sendable {
    /// What went wrong starting, stopping or using the server.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed, with the command's output where there is one.
        public var description: String

        /// Creates a failure saying `description`.
        public init(description: String) {
            self.description = description
        }
    }

    /// The directory that holds the cluster (`data/`), the unix socket and the server log.
    public let directory: URL
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// Extra server settings (`-c name=value`), e.g. `["max_connections": "300"]`.
    public let settings: [String: String]

    private let binaries: URL
    private let state = Mutex(State())

    private struct State {
        var initialised = false
        var running = false
        var removed = false
        var watchdog: Process?
    }

    /// A server that is not started yet; ``start()`` creates and starts it.
    public init(settings: [String: String] = [:]) throws {
        binaries = URL(
            fileURLWithPath: ProcessInfo.processInfo.environment["KAIROS_POSTGRES_BIN"]
                ?? "/usr/lib/postgresql/15/bin")
        guard FileManager.default.isExecutableFile(atPath: binaries.appendingPathComponent("initdb").path) else {
            throw Failure(
                description:
                    "no initdb in \(binaries.path): install postgresql-15 (apt-get install -y postgresql-15) or set KAIROS_POSTGRES_BIN"
            )
        }
        let temporary = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(temporary)/kairos-pg.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "mkdtemp failed: errno \(errno)")
        }
        directory = URL(fileURLWithPath: String(cString: made))
        port = try Self.freePort()
        self.settings = settings
    }

    deinit {
        let (running, removed) = state.withLock { ($0.running, $0.removed) }
        if running || !removed {
            // Best effort for a caller that forgot stop(): synchronous, without the async API.
            if running { try? Self.runBlocking(asPostgres: true, pgCtl, ["-D", dataPath, "-m", "immediate", "-w", "stop"]) }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// The URL of a database on this server (default: `postgres`, which always exists).
    public func url(database: String = "postgres") -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// Creates the cluster on first use and starts the server; returns the URL of database `postgres`.
    @discardableResult
    public func start() async throws -> String {
        if !state.withLock({ $0.initialised }) {
            try await initialise()
        }
        if state.withLock({ $0.running }) { return url() }
        var options = [
            "-p \(port)", "-k \(directory.path)", "-c listen_addresses=127.0.0.1",
        ]
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            options.append("-c \(name)=\(value)")
        }
        try await Self.run(
            asPostgres: true, pgCtl,
            ["-D", dataPath, "-l", logPath, "-w", "-t", "60", "-o", options.joined(separator: " "), "start"],
            failure: "pg_ctl start (log: \(logPath))")
        state.withLock { $0.running = true }
        startWatchdog()
        return url()
    }

    /// Stops the server at once (`-m immediate`, like a crash: no checkpoint) and keeps the cluster,
    /// so that ``start()`` brings it back with its data (crash recovery).
    public func kill() async throws {
        guard state.withLock({ $0.running }) else { return }
        try await Self.run(
            asPostgres: true, pgCtl, ["-D", dataPath, "-m", "immediate", "-w", "stop"],
            failure: "pg_ctl stop")
        state.withLock { $0.running = false }
    }

    /// Crashes and restarts the server on the same port (``kill()`` then ``start()``): every
    /// connection is cut, committed data survives.
    public func restart() async throws {
        try await kill()
        try await start()
    }

    /// Stops the server (`-m immediate`) and removes its directory. Safe to call twice.
    public func stop() async {
        try? await kill()
        let watchdog = state.withLock { state -> Process? in
            state.removed = true
            defer { state.watchdog = nil }
            return state.watchdog
        }
        if let watchdog, watchdog.isRunning { watchdog.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Creates a database and returns its URL.
    public func createDatabase(_ name: String) async throws -> String {
        try await Self.run(
            asPostgres: false, binaries.appendingPathComponent("createdb"),
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name], failure: "createdb \(name)")
        return url(database: name)
    }

    /// Runs SQL with `psql` (`ON_ERROR_STOP`) and returns its unaligned, tuples-only output, fields
    /// separated by `|`, one row a line. For set-up and inspection where a client library would only
    /// add noise.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        try await Self.run(
            asPostgres: false, binaries.appendingPathComponent("psql"),
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-c", sql,
            ], failure: "psql")
    }

    /// Runs `body` with a started server and stops it afterwards, also when `body` throws.
    public static func with<T>(
        settings: [String: String] = [:], _ body: (TemporaryPostgres) async throws -> T
    ) async throws -> T {
        let postgres = try TemporaryPostgres(settings: settings)
        do {
            try await postgres.start()
            let result = try await body(postgres)
            await postgres.stop()
            return result
        } catch {
            await postgres.stop()
            throw error
        }
    }

    // MARK: - Implementation

    private var pgCtl: URL { binaries.appendingPathComponent("pg_ctl") }
    private var dataPath: String { directory.appendingPathComponent("data").path }
    private var logPath: String { directory.appendingPathComponent("server.log").path }

    private static var isRoot: Bool { getuid() == 0 }

    private func initialise() async throws {
        if Self.isRoot {
            try await Self.run(
                asPostgres: false, URL(fileURLWithPath: "/bin/chown"), ["postgres:", directory.path],
                failure: "chown of \(directory.path) to postgres")
        }
        try await Self.run(
            asPostgres: true, binaries.appendingPathComponent("initdb"),
            ["-D", dataPath, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
            failure: "initdb")
        state.withLock { $0.initialised = true }
    }

    /// A shell that waits for this process to end and then stops the server and removes the
    /// directory: the clean-up for a test process that crashes or is killed.
    private func startWatchdog() {
        guard state.withLock({ $0.watchdog == nil }) else { return }
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(Self.isRoot ? "runuser -u postgres -- " : "")"\(pgCtl.path)" -D "\(dataPath)" -m immediate stop >/dev/null 2>&1
            rm -rf "\(directory.path)"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            state.withLock { $0.watchdog = process }
        } catch {
            // Without a watchdog only a crashed test process leaves the server behind.
        }
    }

    private static func command(asPostgres: Bool, _ executable: URL, _ arguments: [String]) -> (URL, [String]) {
        if asPostgres && isRoot {
            return (URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "postgres", "--", executable.path] + arguments)
        }
        return (executable, arguments)
    }

    /// Runs a command to its end and returns its output (stdout and stderr); throws with the output
    /// when it fails.
    ///
    /// It uses `posix_spawn` and `waitpid` rather than Foundation's `Process`: `pg_ctl start` leaves
    /// the server running in the background, and with `Process` the `pg_ctl start` call never
    /// returned here (its exit went unnoticed while the server it started ran on).
    @discardableResult
    private static func run(
        asPostgres: Bool, _ executable: URL, _ arguments: [String], failure: String
    ) async throws -> String {
        let (executable, arguments) = command(asPostgres: asPostgres, executable, arguments)
        let outputPath = "\(NSTemporaryDirectory())kairos-pg-command-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try spawnAndWait(executable.path, arguments, outputPath: outputPath) })
            }
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(description: "\(failure) failed (exit status \(status)): \(text)")
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    private static func runBlocking(asPostgres: Bool, _ executable: URL, _ arguments: [String]) throws {
        let (executable, arguments) = command(asPostgres: asPostgres, executable, arguments)
        _ = try spawnAndWait(executable.path, arguments, outputPath: "/dev/null")
    }

    /// `posix_spawn` with stdin from /dev/null and stdout and stderr to `outputPath`, then `waitpid`.
    private static func spawnAndWait(_ path: String, _ arguments: [String], outputPath: String) throws -> Int32 {
        #if canImport(Glibc)
        var actions = posix_spawn_file_actions_t()
        #else
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The child gets no other descriptor of this process: the server lives on after pg_ctl, and
        // a pipe or socket it inherited would stay open as long as it runs (a node process's exit
        // would go unnoticed, for one).
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw Failure(description: "waitpid failed: errno \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import as functions.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// The descriptors open in this process (Linux: `/proc/self/fd`; elsewhere none are listed).
    private static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (bound to port 0, read back, released).
    public static func freePort() throws -> Int {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind to 127.0.0.1:0 failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
