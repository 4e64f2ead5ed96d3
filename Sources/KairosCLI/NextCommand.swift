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
            CommandOption("--time-zone", shortNames: ["--tz"], valueName: "IANA",
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
            2 a bad command line.
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
        var times = FireTimeWriter(timeZone: timeZone, after: after, count: count)
        return context.answer(expression: arguments.positionals.first) { expression, inBatch in
            times.write(expression, separator: UInt8(ascii: inBatch ? " " : "\n"), to: context.output)
        }
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
    private var offset = 0
    /// The instants (seconds since 1970) between which `offset` is known to hold.
    private var offsetValidFrom = Double.infinity
    private var offsetValidUntil = -Double.infinity

    init(timeZone: TimeZone, after: Date, count: Int) {
        self.timeZone = timeZone
        self.after = after
        self.count = count
        _ = secondsFromGMT(for: after)
    }

    /// Writes the times of `expression`, each followed by `separator` except the last, which is
    /// followed by a newline. An expression with fewer times left prints the ones it has; with
    /// none left it prints nothing in single mode (`separator` a newline) and an empty line in
    /// batch mode, which keeps one output line per input line.
    mutating func write(_ expression: CronExpression, separator: UInt8, to output: CommandOutput) {
        bytes.removeAll(keepingCapacity: true)
        var date = after
        for index in 0..<count {
            guard let next = expression.nextDate(after: date, in: timeZone) else { break }
            if index > 0 { bytes.append(separator) }
            ISO8601Timestamp.append(next, secondsFromGMT: secondsFromGMT(for: next), to: &bytes)
            date = next
        }
        if bytes.isEmpty && separator == UInt8(ascii: "\n") { return }
        bytes.append(UInt8(ascii: "\n"))
        output.write(bytes: bytes)
    }

    /// The zone's offset at `date`, from the cached period when `date` falls inside it.
    mutating func secondsFromGMT(for date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        if !(offsetValidFrom <= seconds && seconds < offsetValidUntil) {
            offset = timeZone.secondsFromGMT(for: date)
            offsetValidFrom = seconds
            // nil: the zone reports no later change, so the offset holds from here on.
            offsetValidUntil = timeZone.nextDaylightSavingTimeTransition(after: date)?.timeIntervalSince1970
                ?? .infinity
        }
        return offset
    }
}
