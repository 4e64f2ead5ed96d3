import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

@Suite(.timeLimit(.minutes(1))) struct CommandLineTests {
    @Test func toolHelpListsEverySubcommandWithItsSummary() {
        for arguments in [["--help"], ["-h"], ["help"]] {
            let result = runKairos(arguments)
            #expect(result.status == 0)
            #expect(result.errorOutput == "")
            for subcommand in KairosCommandLine.subcommands {
                #expect(result.output.contains("  \(subcommand.name)"))
                #expect(result.output.contains(subcommand.summary))
            }
        }
    }

    @Test func noArgumentsPrintsHelpToStandardErrorWithStatusTwo() {
        #expect(runKairos([]) == CommandResult(status: 2, output: "", errorOutput: KairosCommandLine.help))
    }

    @Test func unknownSubcommandExitsTwo() {
        let result = runKairos(["nxet"])
        #expect(result.status == 2)
        #expect(result.errorOutput.hasPrefix("kairos: unknown command 'nxet'\n"))
    }

    @Test(arguments: ["next", "explain"])
    func subcommandHelpShowsUsageAndEveryOption(name: String) throws {
        let subcommand = try #require(KairosCommandLine.subcommands.first { $0.name == name })
        for arguments in [[name, "--help"], [name, "-h"], ["help", name], [name, "0 9 * * *", "--help"]] {
            let result = runKairos(arguments)
            #expect(result == CommandResult(status: 0, output: subcommand.help, errorOutput: ""))
        }
        #expect(subcommand.help.contains(subcommand.usage))
        for option in subcommand.options {
            #expect(subcommand.help.contains(option.name))
        }
    }

    @Test func nextUsageLineIsGeneratedFromTheOptionTable() {
        #expect(Subcommand.next.usage == "usage: kairos next [EXPR] [--count N] [--after ISO8601] [--time-zone IANA]")
        #expect(Subcommand.explain.usage == "usage: kairos explain [EXPR] [--normalized]")
    }

    @Test func parserSeparatesOptionsFlagsAndPositionals() throws {
        let parsed = try Subcommand.next.parse(["-n", "3", "0 9 * * *", "--after=2026-01-01T00:00Z"])
        #expect(
            parsed
                == ParsedArguments(
                    positionals: ["0 9 * * *"], values: ["--count": "3", "--after": "2026-01-01T00:00Z"], flags: []))
        let flagged = try Subcommand.explain.parse(["--normalized", "--", "-"])
        #expect(flagged == ParsedArguments(positionals: ["-"], values: [:], flags: ["--normalized"]))
    }

    @Test func flagWithValueIsAUsageError() {
        #expect(throws: UsageError("option '--normalized' takes no value")) {
            try Subcommand.explain.parse(["--normalized=yes"])
        }
    }

    @Test func explainPrintsTheExplanationOrTheNormalizedForm() throws {
        let expression = try CronExpression("0 9 * * mon-fri")
        #expect(
            runKairos(["explain", "0 9 * * mon-fri"])
                == CommandResult(status: 0, output: expression.explanation + "\n", errorOutput: ""))
        #expect(
            runKairos(["explain", "--normalized", "0 9 * * mon-fri"])
                == CommandResult(status: 0, output: expression.description + "\n", errorOutput: ""))
    }

    @Test func explainReportsAnInvalidExpression() throws {
        let message = try #require(parseErrorMessage("61 * * * *"))
        #expect(runKairos(["explain", "61 * * * *"]) == CommandResult(status: 1, output: "", errorOutput: "error: \(message)\n"))
    }

    @Test func explainBatchModeAnswersEachLine() throws {
        let message = try #require(parseErrorMessage("* * *"))
        let daily = try CronExpression("@daily").explanation
        let result = runKairos(["explain"], input: "@daily\n* * *\n\n")
        #expect(result == CommandResult(status: 1, output: "\(daily)\nerror: \(message)\n\n", errorOutput: ""))
    }

    @Test func lineReaderSplitsChunksAndHandlesCarriageReturnsAndAMissingFinalNewline() {
        var chunks: [[UInt8]] = [Array("a b\r\nc".utf8), Array("d\n\ne".utf8), []]
        let reader = LineReader {
            chunks.isEmpty ? [] : chunks.removeFirst()
        }
        var lines: [String] = []
        while let line = reader.nextLine() { lines.append(line) }
        #expect(lines == ["a b", "cd", "", "e"])
    }

    @Test func outputReachesTheSinkOnlyWhenFlushedOrLarge() {
        var flushed: [Int] = []
        let output = CommandOutput { flushed.append($0.count) }
        output.write("small")
        #expect(flushed.isEmpty)
        output.flush()
        #expect(flushed == [5])
        output.write(String(repeating: "x", count: 70_000))
        #expect(flushed == [5, 70_000])
    }

    @Test(arguments: [
        ("Asia/Kolkata", "Asia/Kolkata"),
        (":Europe/Paris", "Europe/Paris"),
        ("/usr/share/zoneinfo/America/Santiago", "America/Santiago"),
    ])
    func timeZoneVariableSelectsTheDefaultZone(value: String, identifier: String) {
        let zone = CommandContext.defaultTimeZone(environment: ["TZ": value])
        #expect(zone.timeZone.identifier == identifier)
        #expect(zone.warning == nil)
    }

    @Test func unknownTimeZoneVariableFallsBackToTheSystemZoneWithAWarning() throws {
        let unknown = CommandContext.defaultTimeZone(environment: ["TZ": "Nowhere/Special"])
        #expect(unknown.timeZone == TimeZone.current)
        let warning = try #require(unknown.warning)
        #expect(warning.contains("TZ='Nowhere/Special' is not a known time zone"))
        #expect(warning.contains("using the system zone, \(TimeZone.current.identifier)"))
        let unset = CommandContext.defaultTimeZone(environment: [:])
        #expect(unset.timeZone == TimeZone.current && unset.warning == nil)
    }

    @Test func runAndNextWarnOnStandardErrorWhenTZNamesNoKnownZone() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/crontab"
        try "0 0 * * * echo hi\n".write(toFile: path, atomically: true, encoding: .utf8)
        let check = runKairos(["run", "--check", path], environment: ["TZ": "Bogus/Zone"])
        #expect(check.status == 0)
        #expect(check.errorOutput == "kairos run: warning: TZ='Bogus/Zone' is not a known time zone; using the system zone, \(TimeZone.current.identifier)\n")
        #expect(check.output.contains("(\(TimeZone.current.identifier))"))
        let next = runKairos(["next", "0 0 * * *"], environment: ["TZ": "Bogus/Zone"])
        #expect(next.status == 0)
        #expect(next.errorOutput.hasPrefix("kairos next: warning: TZ='Bogus/Zone' is not a known time zone"))
        // An explicit zone makes TZ irrelevant; a known TZ gives no warning.
        #expect(runKairos(["next", "0 0 * * *", "--tz", "UTC"], environment: ["TZ": "Bogus/Zone"]).errorOutput == "")
        #expect(runKairos(["run", "--check", path], environment: ["TZ": "Europe/Paris"]).errorOutput == "")
    }
}
