import Foundation
import Testing
@testable import KairosCLI
@testable import Kairos

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
        #expect(parsed == ParsedArguments(
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
        #expect(runKairos(["explain", "0 9 * * mon-fri"])
            == CommandResult(status: 0, output: expression.explanation + "\n", errorOutput: ""))
        #expect(runKairos(["explain", "--normalized", "0 9 * * mon-fri"])
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
        #expect(CommandContext.systemTimeZone(environment: ["TZ": value]).identifier == identifier)
    }

    @Test func unknownTimeZoneVariableFallsBackToTheSystemZone() {
        #expect(CommandContext.systemTimeZone(environment: ["TZ": "Nowhere/Special"]) == TimeZone.current)
        #expect(CommandContext.systemTimeZone(environment: [:]) == TimeZone.current)
    }
}
