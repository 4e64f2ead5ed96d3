import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

/// `kairos run` reaping the orphans of its commands, as a real process on Linux: as a child
/// subreaper (`--reap-orphans`) and, where the tests run as root, as PID 1 of a PID namespace.
/// Real waits are for conditions (polled, with no wall-clock budget), never fixed sleeps.
@Suite("kairos run reaps orphaned processes", .serialized, .timeLimit(.minutes(1)))
struct OrphanReaperTests {
    /// Line 2 leaves a process running in the background (until `release` exists) and exits 3;
    /// lines 3–5 leave short-lived orphans behind and exit with their own statuses.
    static let crontab = """
        OUT=%@
        @reboot sh -c 'while [ ! -e "$OUT/release" ]; do sleep 0.02; done' >/dev/null 2>&1 & echo $! > "$OUT/orphan.pid"; exit 3
        @reboot (true &); (sleep 0.05 &); exit 4
        @reboot (true &); (true &); (true &); exit 5
        @reboot for i in 1 2 3 4 5 6 7 8; do (true &); done; exit 6
        """

    static var isLinux: Bool {
        #if os(Linux)
        true
        #else
        false
        #endif
    }

    /// Whether `unshare` can make a PID namespace here (Linux, as root, with the capability).
    static let canUnsharePIDNamespace: Bool = {
        guard isLinux, getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["--pid", "--fork", "--mount-proc", "true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    @Test(.enabled(if: isLinux, "child subreapers are Linux-only"))
    func reapsOrphansOfCommandsAsChildSubreaperAndKeepsTheirExitStatuses() async throws {
        let kairos = try #require(builtExecutable("kairos"), "swift test builds the kairos executable")
        let log = try await Self.reapingScenario(executable: kairos, arguments: ["run", "--reap-orphans"]) { process in
            process.processIdentifier
        }
        #expect(log.contains("[kairos] reaping orphaned processes (child subreaper)"), "\(log)")
    }

    @Test(.enabled(if: canUnsharePIDNamespace, "needs root and unshare(1) for a PID namespace"))
    func reapsOrphansByDefaultAsPID1OfAPIDNamespace() async throws {
        let kairos = try #require(builtExecutable("kairos"), "swift test builds the kairos executable")
        let log = try await Self.reapingScenario(
            executable: "/usr/bin/unshare", arguments: ["--pid", "--fork", "--mount-proc", kairos, "run"]
        ) { unshare in
            // kairos is the child of unshare (PID 1 inside the namespace).
            await Self.waitFor { Self.children(of: unshare.processIdentifier).first }?.pid
        }
        #expect(log.contains("[kairos] reaping orphaned processes (PID 1)"), "\(log)")
    }

    /// Runs `executable arguments CRONTAB` on ``crontab``, finds the kairos process with `kairos`,
    /// checks that the orphans its commands leave are adopted and reaped, then stops it with
    /// SIGTERM. Returns the log.
    static func reapingScenario(
        executable: String, arguments: [String], kairos findKairos: (Process) async -> pid_t?
    ) async throws -> String {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try String(format: crontab, directory).write(toFile: directory + "/crontab", atomically: true, encoding: .utf8)
        let logPath = directory + "/run.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + [directory + "/crontab"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = process.standardOutput
        try process.run()
        let readLog = { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        guard let kairos = await findKairos(process) else {
            process.terminate()
            try await blockingWork { process.waitUntilExit() }
            throw TestFailure("the kairos process was not found: \(readLog())")
        }
        defer { kill(kairos, SIGKILL) }

        // Every command ran and exited with its own status (none was reaped as an orphan, which
        // would make its waiter see ECHILD and log status 255).
        let statuses = (2...5).map { "[line \($0)] exit status \($0 + 1) after" }
        let ran = await waitFor { statuses.allSatisfy(readLog().contains) ? true : nil } ?? false
        #expect(ran, "\(readLog())")

        // The background process of line 2 outlived its command and was adopted by kairos.
        let orphanText = try String(contentsOfFile: directory + "/orphan.pid", encoding: .utf8)
        let orphanInNamespace = try #require(pid_t(orphanText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let orphan = try #require(
            children(of: kairos).first { $0.namespacePID == orphanInNamespace },
            "the orphan \(orphanInNamespace) is a child of kairos: \(children(of: kairos))")
        #expect(orphan.state != "Z", "it is still running")

        // Once it exits, kairos reaps it: no zombie is left, nor of the short-lived orphans.
        _ = FileManager.default.createFile(atPath: directory + "/release", contents: nil)
        let reaped = await waitFor { children(of: kairos).isEmpty ? true : nil } ?? false
        #expect(reaped, "children of kairos left: \(children(of: kairos))")

        kill(kairos, SIGTERM)
        try await blockingWork { process.waitUntilExit() }
        let log = readLog()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
        #expect(log.hasSuffix("[kairos] stopped\n"), "\(log)")
        #expect(!log.contains("exit status 255"), "\(log)")
        return log
    }

    /// A process as `/proc/PID/status` describes it.
    struct ProcessEntry: CustomStringConvertible {
        var pid: pid_t
        /// `S`, `R`, `Z` (zombie)…
        var state: String
        /// The PID in the process's own (innermost) PID namespace.
        var namespacePID: pid_t
        var description: String { "\(pid) (\(namespacePID)) \(state)" }
    }

    /// The children of `parent`, from `/proc`.
    static func children(of parent: pid_t) -> [ProcessEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> ProcessEntry? in
            guard let pid = pid_t(name),
                let status = try? String(contentsOfFile: "/proc/\(name)/status", encoding: .utf8)
            else { return nil }
            var fields: [String: String] = [:]
            for line in status.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard fields["PPid"] == String(parent) else { return nil }
            let namespacePID = fields["NSpid"]?.split(whereSeparator: \.isWhitespace).last.flatMap { pid_t($0) } ?? pid
            return ProcessEntry(pid: pid, state: String(fields["State"]?.prefix(1) ?? "?"), namespacePID: namespacePID)
        }
    }

    /// Polls `condition` every 20 ms until it gives a value, however long that takes on a slow
    /// machine; `nil` only if the test is cancelled (its suite's time limit ends a hang).
    static func waitFor<T>(_ condition: () async -> T?) async -> T? {
        while !Task.isCancelled {
            if let value = await condition() { return value }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
