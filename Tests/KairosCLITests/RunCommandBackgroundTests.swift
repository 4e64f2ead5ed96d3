import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

/// `kairos run` as a real process: commands that leave processes in the background, fires that
/// are skipped or missed. Every wait is for a line of the log; the deadlines are only a safety net.
@Suite("kairos run: background children, skipped and missed fires", .serialized, .timeLimit(.minutes(1)))
struct RunCommandBackgroundTests {
    @Test func aRunEndsWhenItsShellExitsAndItsBackgroundChildIsLeftAlone() async throws {
        let kairos = try #require(builtExecutable("kairos"))
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let crontab = """
            OUT=\(directory)
            */1 * * * * * sleep 600 & echo "spawned bg $!"
            @reboot (while [ -d "$OUT" ] && [ ! -e "$OUT/go" ]; do sleep 0.01; done; echo "late from bg") & echo "spawned waiter"
            * * * * * * sleep 600
            """
        let run = try KairosRun(kairos: kairos, arguments: ["--stop-timeout", "0"], crontab: crontab, in: directory)
        // Runs after `run.kill()`: every background child that kairos logged, once it spawns no more.
        defer { for pid in Self.spawnedPIDs(in: run.log) { kill(pid, SIGKILL) } }
        defer { run.kill() }

        // Two runs of line 2, each ended by its shell's exit while its `sleep 600` goes on: the
        // second fire is not skipped as an overlap.
        var log = await run.waitFor("[line 2] exit status 0 after", count: 2)
        #expect(Self.count("[line 2] exit status 0 after", in: log) >= 2, "\(log)")
        #expect(!log.contains("[line 2] skipped"), "\(log)")
        let firstSpawned = try #require(log.range(of: "[line 2] spawned bg "), "\(log)")
        let firstExit = try #require(log.range(of: "[line 2] exit status 0 after"))
        #expect(firstSpawned.lowerBound < firstExit.lowerBound, "the shell's own output is logged before its exit")

        // A background child's output still passes through, with its line's label, after the run
        // that started it has ended.
        log = await run.waitFor("[line 3] exit status 0 after")
        #expect(!log.contains("[line 3] late from bg"))
        _ = FileManager.default.createFile(atPath: directory + "/go", contents: nil)
        log = await run.waitFor("[line 3] late from bg")
        #expect(log.contains("[line 3] late from bg"), "\(log)")

        // A fire that comes while the job's previous run is still going is skipped, and logged.
        log = await run.waitFor("[line 4] skipped 1 fire due ")
        #expect(log.contains("[line 4] skipped 1 fire due "), "\(log)")

        log = await run.stop()
        let backgroundPIDs = Self.spawnedPIDs(in: log)
        // Foundation's `Process` sees its child's exit when a socket it passed to the child
        // closes: kairos must not hand it on to the commands, whose background children live on.
        #expect(!run.process.isRunning, "kairos exited, and its parent saw it: \(log)")
        #expect(run.process.isRunning || run.status == 0, "\(log)")
        #expect(log.contains("[line 4] killed by signal 9"), "the running command was killed at the stop timeout: \(log)")
        #expect(!backgroundPIDs.isEmpty)
        for pid in backgroundPIDs {
            #expect(Self.isRunning(pid), "background child \(pid) was left alone at SIGTERM: \(log)")
        }
    }

    @Test func firesMissedWhileStoppedAreLoggedWithTheirCountAfterARestart() async throws {
        let kairos = try #require(builtExecutable("kairos"))
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = ["--state", directory + "/state.json", "--stop-timeout", "0"]
        let crontab = "# every second\n* * * * * * true\n"
        let first = try KairosRun(kairos: kairos, arguments: state, crontab: crontab, in: directory)
        defer { first.kill() }
        _ = await first.waitFor("[kairos] running")
        _ = await first.stop()

        // As if kairos had been stopped for the last 100 seconds.
        let firstMissed = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 100).rounded(.down))
        let store = try StateStore(path: directory + "/state.json")
        var job = try #require(store.document.jobs.values.first)
        job.nextFireDate = firstMissed
        try store.commit([.putJob(job)])
        store.close()

        // The crontab gained a line above the job: the log names its current line.
        let second = try KairosRun(kairos: kairos, arguments: state, crontab: "PATH=/bin:/usr/bin\n" + crontab, in: directory)
        defer { second.kill() }
        let log = await second.waitFor("[line 3] missed ")
        _ = await second.stop()
        let line = try #require(log.split(separator: "\n").first { $0.contains("[line 3] missed ") }, "\(log)")
        let expected = try #require(try Regex(#"missed (\d+) fires, the first due (\S+): not run$"#).firstMatch(in: String(line)), "\(line)")
        let count = try #require(Int(expected.output[1].substring ?? ""))
        // 100 s of per-second fire times, less the latest, which runs; more if the start was slow.
        #expect(count >= 99, "\(line)")
        #expect(expected.output[2].substring.map(String.init) == ISO8601Timestamp.string(for: firstMissed, in: .gmt))
    }

    @Test func aStateHeldByAnotherKairosIsInUseByAnotherProcess() async throws {
        let kairos = try #require(builtExecutable("kairos"))
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let first = try KairosRun(kairos: kairos, arguments: ["--state", path], crontab: "0 0 1 1 * true\n", in: directory)
        defer { first.kill() }
        _ = await first.waitFor("[kairos] running")
        #expect(throws: PersistenceError.locked(file: path)) { try StateStore(path: path) }

        let second = Process()
        second.executableURL = URL(fileURLWithPath: kairos)
        second.arguments = ["run", "--state", path, directory + "/crontab"]
        let errors = Pipe()
        second.standardError = errors
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        let message = try await blockingWork {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            second.waitUntilExit()
            return text
        }
        #expect(second.terminationStatus == 1)
        #expect(message.contains("\(path): the state is in use by another process"), "\(message)")
        _ = await first.stop()
    }

    static func count(_ text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    /// The PIDs that the commands printed as `spawned bg PID`.
    static func spawnedPIDs(in log: String) -> [pid_t] {
        log.split(separator: "\n").compactMap { line in
            line.range(of: "spawned bg ").flatMap { pid_t(line[$0.upperBound...]) }
        }
    }

    /// Whether the process exists and has not exited (a zombie has).
    static func isRunning(_ pid: pid_t) -> Bool {
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.range(of: ") ", options: .backwards)
        {
            return stat[end.upperBound...].first != "Z"
        }
        return kill(pid, 0) == 0
    }
}

/// A `kairos run` process on a crontab in `directory`, its standard output and error logged to
/// `directory/run.log`.
final class KairosRun: Sendable {
    let process: Process
    let logPath: String

    init(kairos: String, arguments: [String], crontab: String, in directory: String) throws {
        try crontab.write(toFile: directory + "/crontab", atomically: true, encoding: .utf8)
        logPath = directory + "/run.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: kairos)
        process.arguments = ["run"] + arguments + [directory + "/crontab"]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var status: Int32 { process.terminationStatus }

    /// The log once `text` occurs `count` times in it, or once the process has exited (or after
    /// 30 s, a safety net only).
    func waitFor(_ text: String, count: Int = 1) async -> String {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let exited = !process.isRunning
            let log = log
            if log.components(separatedBy: text).count - 1 >= count || Date() > deadline || exited { return log }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops it with SIGTERM and returns its log once it has logged `stopped` and its exit has
    /// been seen (or after 30 s, a safety net only).
    func stop() async -> String {
        process.terminate()
        let log = await waitFor("[kairos] stopped")
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return log
    }

    /// Stops it if it is still running (a test that failed midway): SIGTERM, which kills the
    /// running commands at once (the tests pass `--stop-timeout 0`), then SIGKILL.
    func kill() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, !log.contains("[kairos] stopped"), Date() < deadline { usleep(10_000) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
