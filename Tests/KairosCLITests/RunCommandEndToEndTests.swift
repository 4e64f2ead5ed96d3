import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

/// `kairos run` as a real process on a real crontab: the one place in the suite with real waits
/// (about two seconds).
@Suite("kairos run end to end", .serialized, .timeLimit(.minutes(1)))
struct RunCommandEndToEndTests {
    @Test func runsCommandsOnScheduleAndStopsGracefullyOnSIGTERM() async throws {
        let kairos = try #require(builtExecutable("kairos"), "swift test builds the kairos executable")
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let crontab = """
            OUT=\(directory)
            @reboot echo "booted" >> "$OUT/boot.txt"
            # every second (6 fields)
            * * * * * * echo tick >> "$OUT/ticks.txt"; echo "said tick"
            * * * * * * sleep 30
            """
        try crontab.write(toFile: directory + "/crontab", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kairos)
        process.arguments = ["run", "--state", directory + "/state.json", "--stop-timeout", "0.3", directory + "/crontab"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait (real time) until two ticks were written: about 2 s on a quiet machine.
        let ticks = await Self.lines(in: directory + "/ticks.txt", atLeast: 2)

        // SIGHUP: a new line is scheduled, a removed one cancelled.
        try (crontab + "\n* * * * * * echo tock >> \"$OUT/tocks.txt\"\n").write(toFile: directory + "/crontab", atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let tocks = await Self.lines(in: directory + "/tocks.txt", atLeast: 1)
        process.terminate()  // SIGTERM
        let log = try await blockingWork {
            let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return log
        }

        #expect(ticks >= 2, "the every-second job ran: \(log)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
        #expect(try String(contentsOfFile: directory + "/boot.txt", encoding: .utf8) == "booted\n")
        #expect(log.contains("[line 4] start: echo tick"))
        #expect(log.contains("[line 4] said tick"), "the command's output is passed through, prefixed")
        #expect(log.contains("[line 4] exit status 0 after"))
        #expect(log.contains("SIGTERM: stopping"))
        #expect(log.contains("[line 5] killed by signal 9"), "the long command was killed after the stop timeout")
        #expect(log.hasSuffix("[kairos] stopped\n"))
        #expect(tocks >= 1, "the line added before SIGHUP ran")
        #expect(log.contains("SIGHUP: reloaded"))

        // The jobs were persisted: the state loads and holds the two cron lines (not @reboot).
        let store = try StateStore(path: directory + "/state.json")
        defer { store.close() }
        #expect(store.document.jobs.values.map(\.name).sorted() == ["line 4", "line 5", "line 6"])
    }

    /// Runs `kairos run --state` on `crontab` until it has started its jobs, then stops it with
    /// SIGTERM; returns its log.
    static func startAndStop(crontab: String, in directory: String, kairos: String) async throws -> String {
        try crontab.write(toFile: directory + "/crontab", atomically: true, encoding: .utf8)
        let logPath = directory + "/run.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kairos)
        process.arguments = ["run", "--state", directory + "/state.json", "--stop-timeout", "0", directory + "/crontab"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
        while !Task.isCancelled, !((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("[kairos] running") {
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        try await blockingWork { process.waitUntilExit() }
        return (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    @Test func restartMatchesPersistedJobsToTheCrontabByScheduleAndCommand() async throws {
        let kairos = try #require(builtExecutable("kairos"))
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await Self.startAndStop(crontab: "0 0 1 1 * echo kept\n0 0 1 1 * echo dropped\n", in: directory, kairos: kairos)
        let before = try StateStore(path: directory + "/state.json")
        let keptID = try #require(before.document.jobs.values.first { $0.name == "line 1" }?.id)
        before.close()

        // The kept line moves (a comment is added above it); one line goes, one comes.
        let log = try await Self.startAndStop(crontab: "# moved\n0 0 1 1 * echo new\n0 0 1 1 * echo kept\n", in: directory, kairos: kairos)
        #expect(log.contains("restored 1 job(s)"), "\(log)")
        let after = try StateStore(path: directory + "/state.json")
        defer { after.close() }
        let jobs = after.document.jobs.values.sorted { $0.id < $1.id }
        #expect(jobs.count == 2)
        #expect(jobs.first?.id == keptID, "the kept line is the same persisted job")
        #expect(jobs.map(\.arguments).contains { "\($0)".contains("echo new") })
        #expect(!jobs.map(\.arguments).contains { "\($0)".contains("echo dropped") })
    }

    /// The number of lines in the file once it has at least `count`, however long that takes (a
    /// TSan-built child on a loaded machine is slow, and a starved test may not look for many
    /// seconds); fewer only if the wait is cancelled (by the time limit).
    static func lines(in path: String, atLeast count: Int) async -> Int {
        while true {
            let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
            if lines >= count || Task.isCancelled { return lines }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
