import Foundation
import Kairos

extension Subcommand {
    /// `kairos next`: the next fire times of one expression, or of each line of standard input.
    package static let next = Subcommand(
        name: "next",
        summary: "Print the next fire times of a cron expression.",
        arguments: "[EXPR]",
        maximumPositionals: 1,
        options: [
            CommandOption("--count", shortNames: ["-n"], valueName: "N", help: "How many fire times to print (default 1)."),
            CommandOption("--after", valueName: "ISO8601", help: "Print times strictly after this instant (default now)."),
            CommandOption(
                "--time-zone", shortNames: ["--tz"], valueName: "IANA",
                help: "Evaluate in this zone (default: $TZ, else the system's)."),
        ],
        discussion: """
            Prints one time per line as YYYY-MM-DDTHH:MM:SS±HH:MM in the evaluation zone
            (UTC is +00:00). --after takes YYYY-MM-DD[THH:MM[:SS[.fff]]] with Z or ±HH:MM;
            without an offset it is a local time in the evaluation zone.

            Without EXPR, reads one expression per line from standard input and prints one
            line for each: its N times separated by spaces, or 'error: <message>'. A blank
            input line gives a blank output line.

            Exit status: 0 success; 1 an invalid expression (in batch mode: any line);
            2 a bad command line; 3 no fire time after --after (said on standard error; in
            batch mode: a blank output line, and status 3 if no line was invalid).
            """,
        run: NextCommand.run
    )
}

/// The implementation of `kairos next`.
package enum NextCommand {
    /// The most times one invocation may ask for per expression.
    package static let maximumCount = 1_000_000

    static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws(UsageError) -> Int32 {
        var count = 1
        if let text = arguments.values["--count"] {
            guard let value = Int(text), (1...maximumCount).contains(value) else {
                throw UsageError("--count must be a whole number from 1 to \(maximumCount), not '\(text)'")
            }
            count = value
        }
        var timeZone = context.timeZone
        if let name = arguments.values["--time-zone"] {
            guard let zone = TimeZone(identifier: name) else {
                throw UsageError("unknown time zone '\(name)' (use an IANA name such as America/New_York)")
            }
            timeZone = zone
        }
        var after = context.now
        if let text = arguments.values["--after"] {
            guard let date = ISO8601Timestamp.date(from: text, localTimeZone: timeZone) else {
                throw UsageError("--after needs an ISO 8601 date-time such as 2026-03-08T01:30:00-05:00, not '\(text)'")
            }
            after = date
        }
        if arguments.values["--time-zone"] == nil { context.warnAboutTimeZone("kairos next") }
        var times = FireTimeWriter(timeZone: timeZone, after: after, count: count)
        return context.answer(expression: arguments.positionals.first) { expression, inBatch in
            let written = times.write(expression, separator: UInt8(ascii: inBatch ? " " : "\n"), to: context.output)
            guard written < count else { return 0 }
            if !inBatch {
                let found = written == 0 ? "no fire time" : "only \(written) of \(count) fire times, none"
                let last = ISO8601Timestamp.string(for: times.lastDate, in: timeZone)
                let reason = reasonForNoFireTime(expression, after: times.lastDate, in: timeZone)
                context.errorOutput.write("kairos next: \(found) after \(last): \(reason)\n")
            }
            return written == 0 ? KairosCommandLine.noResultStatus : 0
        }
    }

    /// Why `expression` has no fire time after `date` in `timeZone`: the supported range ends, or
    /// its matching local times never exist in the zone (§1.5).
    static func reasonForNoFireTime(_ expression: CronExpression, after date: Date, in timeZone: TimeZone) -> String {
        // In UTC every matching civil time exists; one well before the end of the range means
        // the zone skips them all.
        let lastYear = Date(timeIntervalSince1970: 253_370_764_800)  // 9999-01-01T00:00:00Z
        if let inUTC = expression.nextDate(after: date, in: .gmt), inUTC < lastYear {
            return "its matching times never exist in \(timeZone.identifier) (they fall in daylight-saving gaps)"
        }
        return "fire times end with the year 9999"
    }
}

/// Formats the next `count` fire times of expressions into one reused byte buffer.
///
/// Looks up the zone's offset once per distinct offset period instead of once per time: the
/// period is kept until the next transition the zone reports.
struct FireTimeWriter {
    let timeZone: TimeZone
    let after: Date
    let count: Int
    private var bytes: [UInt8] = []
    /// The last time ``write(_:separator:to:)`` wrote (`after` if none).
    private(set) var lastDate: Date
    private var offset = 0
    /// The instants (seconds since 1970) between which `offset` is known to hold.
    private var offsetValidFrom = Double.infinity
    private var offsetValidUntil = -Double.infinity

    init(timeZone: TimeZone, after: Date, count: Int) {
        self.timeZone = timeZone
        self.after = after
        self.count = count
        lastDate = after
        _ = secondsFromGMT(for: after)
    }

    /// Writes the times of `expression`, each followed by `separator` except the last, which is
    /// followed by a newline, and returns how many it wrote. An expression with fewer times left
    /// prints the ones it has; with none left it prints nothing in single mode (`separator` a
    /// newline) and an empty line in batch mode, which keeps one output line per input line.
    mutating func write(_ expression: CronExpression, separator: UInt8, to output: CommandOutput) -> Int {
        bytes.removeAll(keepingCapacity: true)
        var date = after
        var written = 0
        while written < count, let next = expression.nextDate(after: date, in: timeZone) {
            if written > 0 { bytes.append(separator) }
            ISO8601Timestamp.append(next, secondsFromGMT: secondsFromGMT(for: next), to: &bytes)
            date = next
            written += 1
        }
        lastDate = date
        if bytes.isEmpty && separator == UInt8(ascii: "\n") { return 0 }
        bytes.append(UInt8(ascii: "\n"))
        output.write(bytes: bytes)
        return written
    }

    /// The zone's offset at `date`, from the cached period when `date` falls inside it.
    mutating func secondsFromGMT(for date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        if !(offsetValidFrom <= seconds && seconds < offsetValidUntil) {
            offset = timeZone.secondsFromGMT(for: date)
            offsetValidFrom = seconds
            // nil: the zone reports no later change, so the offset holds from here on.
            offsetValidUntil =
                timeZone.nextDaylightSavingTimeTransition(after: date)?.timeIntervalSince1970
                ?? .infinity
        }
        return offset
    }
}
