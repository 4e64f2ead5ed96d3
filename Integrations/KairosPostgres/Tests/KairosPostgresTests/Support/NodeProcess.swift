import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `kairos-cluster-node` process started by a test, with its stdout and stderr in a log file.
///
/// The binary is the one `swift test` built next to the test bundle (or `KAIROS_CLUSTER_NODE`).
/// ``terminate()`` sends SIGTERM and waits for the exit; ``kill()`` is SIGKILL, ``stop()`` and
/// ``resume()`` are SIGSTOP and SIGCONT.
final class NodeProcess: Sendable {
    /// The node's name in the cluster and in the ledger.
    let name: String
    /// Where the node's output goes.
    let log: URL
    private let process: Process
    private let exit = ExitStatus()

    /// The node executable: `KAIROS_CLUSTER_NODE`, else `kairos-cluster-node` in the directory of the
    /// running test binary (SwiftPM puts products and the test bundle in one build directory).
    static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["KAIROS_CLUSTER_NODE"] {
            return URL(fileURLWithPath: path)
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("kairos-cluster-node")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TemporaryPostgres.Failure(
            description: "kairos-cluster-node not found near \(CommandLine.arguments[0]); build it or set KAIROS_CLUSTER_NODE")
    }

    /// Starts `kairos-cluster-node ARGUMENTS` with `environment` added to this process's; `name`
    /// names the log file.
    init(name: String, arguments: [String], environment: [String: String] = [:], logDirectory: URL) throws {
        self.name = name
        log = logDirectory.appendingPathComponent("\(name).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw TemporaryPostgres.Failure(description: "cannot create \(log.path)")
        }
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        process = Process()
        process.executableURL = try Self.executable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        process.terminationHandler = { [exit] process in exit.set(process.terminationStatus) }
        try process.run()
    }

    /// The process ID.
    var pid: Int32 { process.processIdentifier }
    /// Whether the process has not exited yet.
    var isRunning: Bool { process.isRunning }

    /// SIGKILL, then waits for the exit.
    func kill() async {
        send(SIGKILL)
        await waitForExit()
    }

    /// SIGSTOP: the process freezes (its leases expire, its connections stay open).
    func stop() { send(SIGSTOP) }
    /// SIGCONT: a stopped process carries on where it was.
    func resume() { send(SIGCONT) }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func terminate() async -> Int32 {
        send(SIGTERM)
        return await waitForExit()
    }

    /// Waits for the process to exit and returns its exit status.
    @discardableResult
    func waitForExit() async -> Int32 {
        await exit.value()
    }

    /// The node's output so far.
    func output() -> String {
        (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }

    private func send(_ signal: Int32) {
        if process.isRunning { sendSignal(signal, to: process.processIdentifier) }
    }

    deinit {
        if process.isRunning { sendSignal(SIGKILL, to: process.processIdentifier) }
    }
}

private func sendSignal(_ signal: Int32, to pid: Int32) {
    _ = kill(pid, signal)
}

/// A process's exit status, once known, and the tasks waiting for it.
private final class ExitStatus: Sendable {
    private let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    func set(_ status: Int32) {
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    func value() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}
