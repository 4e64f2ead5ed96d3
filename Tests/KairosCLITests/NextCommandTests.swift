import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

@Suite(.timeLimit(.minutes(1))) struct NextCommandTests {
    @Test func readmeCommandPrintsFiveWeekdayMornings() {
        let result = runKairos(["next", "0 9 * * mon-fri", "--count", "5", "--time-zone", "America/New_York"])
        #expect(
            result
                == CommandResult(
                    status: 0,
                    output: """
                        2026-03-09T09:00:00-04:00
                        2026-03-10T09:00:00-04:00
                        2026-03-11T09:00:00-04:00
                        2026-03-12T09:00:00-04:00
                        2026-03-13T09:00:00-04:00

                        """, errorOutput: ""))
    }

    @Test func defaultsToOneTimeAfterNowInTheContextZone() {
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(runKairos(["next", "0 0 * * *"], timeZone: tokyo).output == "2026-03-08T00:00:00+09:00\n")
    }

    @Test(arguments: [
        // Skipped hour: a fixed time inside it fires once, at the transition.
        (
            ["30 2 * * *", "--after", "2026-03-07T12:00:00-05:00", "--count", "2"],
            "2026-03-08T03:00:00-04:00\n2026-03-09T02:30:00-04:00\n"
        ),
        // Repeated hour: a fixed time fires at its first occurrence only.
        (
            ["30 1 * * *", "--after", "2026-10-31T12:00:00-04:00", "--count", "2"],
            "2026-11-01T01:30:00-04:00\n2026-11-02T01:30:00-05:00\n"
        ),
        // An hour `*` expression follows real time through both copies of the repeated hour.
        (
            ["30 * * * *", "--after", "2026-11-01T00:45:00-04:00", "--count", "3"],
            "2026-11-01T01:30:00-04:00\n2026-11-01T01:30:00-05:00\n2026-11-01T02:30:00-05:00\n"
        ),
        (
            ["*/20 1 * * *", "--after", "2026-11-01T00:59:00-04:00", "--count", "4"],
            "2026-11-01T01:00:00-04:00\n2026-11-01T01:20:00-04:00\n2026-11-01T01:40:00-04:00\n2026-11-01T01:00:00-05:00\n"
        ),
        (
            ["0 0 1 1 *", "--after", "2026-06-01T00:00Z", "--time-zone", "UTC"],
            "2027-01-01T00:00:00+00:00\n"
        ),
        (
            ["0 0 * * *", "--after", "2026-09-05T12:00:00-04:00", "--time-zone", "America/Santiago"],
            "2026-09-06T01:00:00-03:00\n"
        ),
        (
            ["0 2 * * *", "--after", "2026-04-05T00:00:00+11:00", "--time-zone", "Australia/Lord_Howe", "-n", "2"],
            "2026-04-05T02:00:00+10:30\n2026-04-06T02:00:00+10:30\n"
        ),
        // Lord Howe repeats 01:30-02:00 (a 30-minute change).
        (
            ["45 1 * * *", "--after", "2026-04-05T00:00:00+11:00", "--time-zone", "Australia/Lord_Howe", "-n", "2"],
            "2026-04-05T01:45:00+11:00\n2026-04-06T01:45:00+10:30\n"
        ),
        (
            ["0 0 29 2 *", "--after", "2026-01-01T00:00:00Z", "--tz", "Asia/Kathmandu"],
            "2028-02-29T00:00:00+05:45\n"
        ),
    ])
    func printsExactTimesAcrossZonesAndTransitions(arguments: [String], expected: String) {
        #expect(runKairos(["next"] + arguments) == CommandResult(status: 0, output: expected, errorOutput: ""))
    }

    @Test func bareLocalAfterIsReadInTheEvaluationZone() {
        let result = runKairos(["next", "0 * * * *", "--after", "2026-03-08T00:30", "--time-zone", "America/New_York", "-n", "2"])
        #expect(result.output == "2026-03-08T01:00:00-05:00\n2026-03-08T03:00:00-04:00\n")
    }

    @Test func afterIsExclusive() {
        let result = runKairos(["next", "0 9 * * *", "--after", "2026-03-09T09:00:00-04:00"])
        #expect(result.output == "2026-03-10T09:00:00-04:00\n")
    }

    @Test func invalidExpressionInSingleModeGoesToStandardErrorWithStatusOne() throws {
        let result = runKairos(["next", "0 9 * * monday"])
        #expect(result.status == 1)
        #expect(result.output == "")
        let expectedMessage = try #require(parseErrorMessage("0 9 * * monday"))
        #expect(result.errorOutput == "error: \(expectedMessage)\n")
    }

    @Test func batchModeAnswersEachLineInOrder() throws {
        let input = "0 0 * * *\n\n0 0 30 2 *\n  @hourly  \r\n0 12 * * sun"
        let result = runKairos(["next", "--count", "2", "--after", "2026-03-07T12:00:00-05:00"], input: input)
        let expectedMessage = try #require(parseErrorMessage("0 0 30 2 *"))
        #expect(
            result
                == CommandResult(
                    status: 1,
                    output: """
                        2026-03-08T00:00:00-05:00 2026-03-09T00:00:00-04:00

                        error: \(expectedMessage)
                        2026-03-07T13:00:00-05:00 2026-03-07T14:00:00-05:00
                        2026-03-08T12:00:00-04:00 2026-03-15T12:00:00-04:00

                        """, errorOutput: ""))
    }

    @Test func batchModeWithOnlyValidLinesExitsZero() {
        let result = runKairos(["next", "--after", "2026-03-07T12:00:00Z", "--tz", "UTC"], input: "0 13 * * *\n0 11 * * *\n")
        #expect(
            result
                == CommandResult(
                    status: 0, output: "2026-03-07T13:00:00+00:00\n2026-03-08T11:00:00+00:00\n", errorOutput: ""))
    }

    @Test(arguments: ["UTC", "America/New_York", "Australia/Lord_Howe"])
    func timesNearTheEndOfTheSupportedRangeNeverCrash(zone: String) {
        let single = runKairos(["next", "0 0 1 1 *", "--after", "9999-06-01T00:00:00Z", "--tz", zone, "-n", "3"])
        // Fewer than 3 times are left (none, or one where 10000-01-01 local is still 9999 in UTC).
        #expect(single.status == (single.output.isEmpty ? KairosCommandLine.noResultStatus : 0))
        #expect(single.errorOutput.hasSuffix(": fire times end with the year 9999\n"), "\(single.errorOutput)")
        #expect(!single.output.contains("\n\n"))
        let batch = runKairos(["next", "--after", "9999-06-01T00:00:00Z", "--tz", zone, "-n", "3"], input: "0 0 1 1 *\n@hourly\n")
        #expect(batch.status == (batch.output.hasPrefix("\n") ? KairosCommandLine.noResultStatus : 0))
        #expect(batch.output.split(separator: "\n", omittingEmptySubsequences: false).count == 3)
        let early = runKairos(["next", "0 0 1 1 *", "--after", "0001-01-01T00:00:00Z", "--tz", zone])
        #expect(early.status == 0)
    }

    @Test func noFireTimeIsSaidOnStandardErrorWithItsOwnStatus() {
        // 02:xx on the second Sunday of March never exists in New York (the DST gap).
        #expect(
            runKairos(["next", "* 2 * 3 0#2", "--time-zone", "America/New_York"])
                == CommandResult(
                    status: 3, output: "",
                    errorOutput:
                        "kairos next: no fire time after 2026-03-07T07:00:00-05:00: its matching times never exist in America/New_York (they fall in daylight-saving gaps)\n"))
        #expect(
            runKairos(["next", "* * * * *", "--after", "9999-12-31T23:59:59Z", "--tz", "UTC"])
                == CommandResult(
                    status: 3, output: "", errorOutput: "kairos next: no fire time after 9999-12-31T23:59:59+00:00: fire times end with the year 9999\n"))
        // Fewer times than asked: printed, and said, with status 0.
        let fewer = runKairos(["next", "0 0 1 1 *", "-n", "5", "--after", "9997-06-01T00:00:00Z", "--tz", "UTC"])
        #expect(
            fewer
                == CommandResult(
                    status: 0, output: "9998-01-01T00:00:00+00:00\n9999-01-01T00:00:00+00:00\n",
                    errorOutput: "kairos next: only 2 of 5 fire times, none after 9999-01-01T00:00:00+00:00: fire times end with the year 9999\n"))
        // Batch mode keeps one output line per input line: a blank one, and status 3 unless a
        // line was invalid (1).
        let batch = runKairos(["next", "--tz", "America/New_York"], input: "0 0 * * *\n* 2 * 3 0#2\n")
        #expect(batch == CommandResult(status: 3, output: "2026-03-08T00:00:00-05:00\n\n", errorOutput: ""))
        #expect(runKairos(["next", "--tz", "America/New_York"], input: "* 2 * 3 0#2\nbad\n").status == 1)
    }

    @Test func emptyInputPrintsNothing() {
        #expect(runKairos(["next"], input: "") == CommandResult(status: 0, output: "", errorOutput: ""))
    }

    @Test(arguments: [
        (["--count", "0"], "--count must be a whole number from 1 to 1000000, not '0'"),
        (["--count", "five"], "--count must be a whole number from 1 to 1000000, not 'five'"),
        (["--count"], "option '--count' needs a value N"),
        (["--time-zone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus' (use an IANA name such as America/New_York)"),
        (
            ["--after", "yesterday"],
            "--after needs an ISO 8601 date-time such as 2026-03-08T01:30:00-05:00, not 'yesterday'"
        ),
        (["--cout", "3"], "unknown option '--cout'"),
        (["-n", "1", "--count", "2"], "option '--count' given more than once"),
        (["0", "9", "*", "*", "*"], "unexpected argument '9' (quote the expression: \"0 9 * * mon-fri\")"),
    ])
    func badCommandLinesExitTwoWithUsage(arguments: [String], message: String) {
        let result = runKairos(["next"] + arguments, input: "* * * * *\n")
        #expect(
            result
                == CommandResult(
                    status: 2, output: "",
                    errorOutput: """
                        kairos next: \(message)
                        usage: kairos next [EXPR] [--count N] [--after ISO8601] [--time-zone IANA]

                        """))
    }

    @Test func optionsMayBeWrittenWithEqualsAndAfterTheExpression() {
        let spaced = runKairos(["next", "0 9 * * *", "--count", "2", "--time-zone", "UTC"])
        let joined = runKairos(["next", "--count=2", "--time-zone=UTC", "--", "0 9 * * *"])
        #expect(spaced.status == 0)
        #expect(spaced == joined)
        #expect(spaced.output.split(separator: "\n").count == 2)
    }

    @Test func fireTimeWriterOffsetsMatchTheZoneAcrossManyTransitions() throws {
        for zone in ["America/Santiago", "Europe/Moscow", "Australia/Lord_Howe", "Pacific/Apia", "America/New_York"] {
            let timeZone = try #require(TimeZone(identifier: zone))
            var writer = FireTimeWriter(timeZone: timeZone, after: Date(timeIntervalSince1970: 946_684_800), count: 1)
            var generator = SplitMix(seed: 3)
            var seconds = 946_684_800.0  // 2000-01-01
            for _ in 0..<3_000 {
                seconds += Double(generator.next() % 900_000)
                let date = Date(timeIntervalSince1970: seconds)
                #expect(writer.secondsFromGMT(for: date) == timeZone.secondsFromGMT(for: date), "\(zone) \(date)")
            }
        }
    }
}

/// The message `CronExpression` gives for an invalid expression, or `nil` if it parses.
func parseErrorMessage(_ text: String) -> String? {
    do {
        _ = try CronExpression(text)
        return nil
    } catch {
        return error.description
    }
}
