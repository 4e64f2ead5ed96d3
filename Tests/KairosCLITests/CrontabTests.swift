import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

@Suite("Crontab parsing", .timeLimit(.minutes(1)))
struct CrontabTests {
    static let utc = TimeZone(identifier: "UTC")!

    @Test(arguments: [
        ("*/5 * * * * echo hi", "*/5 * * * *", "echo hi"),
        ("  0 9 * * mon-fri   /usr/bin/report --daily  ", "0 9 * * mon-fri", "/usr/bin/report --daily"),
        ("*/10 * * * * * echo 'six fields'", "*/10 * * * * *", "echo 'six fields'"),
        ("0 0 * * * echo a   b", "0 0 * * *", "echo a   b"),
        ("@daily\tbackup.sh", "@daily", "backup.sh"),
        ("@HOURLY x", "@HOURLY", "x"),
        ("@reboot echo started", "@reboot", "echo started"),
        // Six words that form a valid 6-field expression are read as one.
        ("0 12 * * 5 * echo", "0 12 * * 5 *", "echo"),
    ])
    func jobLineSplitsIntoScheduleAndCommand(line: String, schedule: String, command: String) throws {
        let crontab = try Crontab.parse(line, timeZone: Self.utc)
        let entry = try #require(crontab.entries.first)
        #expect(entry.scheduleText == schedule)
        #expect(entry.command == command)
        #expect(entry.line == 1)
    }

    @Test func environmentLinesCommentsAndBlankLinesAreNotJobs() throws {
        let text = """
            # a comment
               # an indented comment

            SHELL_NAME = "quoted value"
            PATH=/usr/bin:/bin
            EMPTY=
            CRON_TZ=Asia/Tokyo
            30 8 * * * wake
            """
        let crontab = try Crontab.parse(text, timeZone: Self.utc)
        #expect(crontab.environment == ["SHELL_NAME": "quoted value", "PATH": "/usr/bin:/bin", "EMPTY": "", "CRON_TZ": "Asia/Tokyo"])
        #expect(crontab.entries.map(\.line) == [8])
        #expect(crontab.entries.first?.timeZone.identifier == "Asia/Tokyo")
    }

    @Test func everyBadLineIsReportedWithItsNumber() {
        let text = """
            PATH=/bin
            * * * *
            61 * * * * echo
            @weekly
            @sometimes run
            CRON_TZ=Mars/Olympus
            0 0 * * * fine
            """
        do {
            _ = try Crontab.parse(text, timeZone: Self.utc)
            Issue.record("the crontab was accepted")
        } catch {
            #expect(error.problems.map(\.line) == [2, 3, 4, 5, 6])
            #expect(error.problems[1].message.contains("minute"))
            #expect(error.problems[2].message.contains("the command is missing"))
            #expect(error.problems[3].message.contains("@sometimes"))
            #expect(error.problems[4].message.contains("Mars/Olympus"))
        }
    }

    /// The example crontab the README points to stays valid: every line parses and is listed.
    @Test func theREADMEsExampleCrontabChecksClean() {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/example.crontab").path
        let result = runKairos(["run", "--check", path], timeZone: Self.utc)
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.errorOutput.isEmpty)
        #expect(result.output.hasSuffix(" job(s), no errors\n"), "\(result.output)")
    }

    @Test func checkListsEachJobsNextRuns() {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/crontab"
        try? "A=1\n@reboot echo up\n0 */6 * * * echo four times a day\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = runKairos(["run", "--check", "--count", "2", path], timeZone: Self.utc)
        #expect(result.status == 0)
        #expect(
            result.output == """
                env A=1
                line 2: @reboot  echo up
                    once, when kairos run starts
                line 3: 0 */6 * * *  echo four times a day
                    \(try! CronExpression("0 */6 * * *").explanation) (\(Self.utc.identifier))
                    2026-03-07T18:00:00+00:00
                    2026-03-08T00:00:00+00:00
                2 job(s), no errors

                """)
    }

    @Test(arguments: [("* * * * *", "* * * * *"), ("*/5 * * * * *", "*/5 * * * * *"), ("@daily", "@daily")])
    func aLineWithoutACommandIsReportedOnceAsMissingItsCommand(line: String, schedule: String) {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/crontab"
        try? "# header\n\(line)\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = runKairos(["run", "--check", path])
        #expect(
            result
                == CommandResult(
                    status: 1, output: "",
                    errorOutput: "\(path): line 2: the command is missing: the line has only the schedule '\(schedule)'\n"))
    }

    @Test func aCrontabThatCannotBeReadIsReportedInWords() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(
            runKairos(["run", "--check", directory])
                == CommandResult(
                    status: 1, output: "", errorOutput: "kairos run: cannot read the crontab '\(directory)': it is a directory, not a file\n"))
        #expect(
            runKairos(["run", "--check", directory + "/missing"])
                == CommandResult(
                    status: 1, output: "", errorOutput: "kairos run: cannot read the crontab '\(directory)/missing': no such file\n"))
        let binary = directory + "/binary"
        try Data([0x2A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
        #expect(
            runKairos(["run", "--check", binary])
                == CommandResult(
                    status: 1, output: "", errorOutput: "kairos run: cannot read the crontab '\(binary)': it is not UTF-8 text\n"))
        // Permission bits do not stop root, who runs CI here: checked only as another user.
        if geteuid() != 0 {
            let locked = directory + "/locked"
            try "0 0 * * * true\n".write(toFile: locked, atomically: true, encoding: .utf8)
            chmod(locked, 0)
            #expect(runKairos(["run", "--check", locked]).errorOutput == "kairos run: cannot read the crontab '\(locked)': permission denied\n")
        }
    }

    @Test func checkOfABadCrontabExitsWithStatus1() {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/crontab"
        try? "0 0 31 2 * never\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = runKairos(["run", "--check", path])
        #expect(result.status == 1)
        #expect(result.errorOutput.hasPrefix("\(path): line 1: invalid schedule '0 0 31 2 *'"))
    }
}
