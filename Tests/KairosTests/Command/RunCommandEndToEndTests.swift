import Foundation
import Testing
@testable import Kairos

/// `kairos run` as a real process on a real crontab: the one place in the suite with real waits
/// (about two seconds).
@Suite("kairos run end to end", .serialized)
struct RunCommandEndToEndTests {
    @Test func runsCommandsOnScheduleAndStopsGracefullyOnSIGTERM() async throws {
        let kairos = try #require(builtExecutable("kairos"), "swift test builds the kairos executable")
        let directory = StateFixtures.temporaryDirectory()
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

        // Wait (real time) until two ticks were written, at most 4 s.
        let deadline = Date().addingTimeInterval(4)
        var ticks = 0
        while Date() < deadline {
            ticks = ((try? String(contentsOfFile: directory + "/ticks.txt", encoding: .utf8)) ?? "").split(separator: "\n").count
            if ticks >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()  // SIGTERM
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(ticks >= 2, "the every-second job ran: \(log)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
        #expect(try String(contentsOfFile: directory + "/boot.txt", encoding: .utf8) == "booted\n")
        #expect(log.contains("[line 4] start: echo tick"))
        #expect(log.contains("[line 4] said tick"), "the command's output is passed through, prefixed")
        #expect(log.contains("[line 4] exit status 0 after"))
        #expect(log.contains("SIGTERM: stopping"))
        #expect(log.contains("[line 5] killed by signal 9"), "the long command was killed after the stop timeout")
        #expect(log.hasSuffix("[kairos] stopped\n"))

        // The jobs were persisted: the state loads and holds the two cron lines (not @reboot).
        let store = try StateStore(path: directory + "/state.json")
        defer { store.close() }
        #expect(store.document.jobs.values.map(\.name).sorted() == ["line 4", "line 5"])
    }
}
