import Foundation
import Kairos

/// Everything a `kairos` subcommand reads from and writes to outside its arguments.
///
/// The executable builds one from the process (``system(environment:)``); tests build one over
/// in-memory text with a fixed `now` and time zone.
package struct CommandContext {
    /// Standard input, read line by line by the batch modes.
    package var input: LineReader
    /// Standard output.
    package var output: CommandOutput
    /// Standard error.
    package var errorOutput: CommandOutput
    /// The instant used when a command's `--after` is omitted.
    package var now: Date
    /// The time zone used when a command's `--time-zone` is omitted.
    package var timeZone: TimeZone

    /// A context over the given streams.
    package init(input: LineReader, output: CommandOutput, errorOutput: CommandOutput, now: Date, timeZone: TimeZone) {
        self.input = input
        self.output = output
        self.errorOutput = errorOutput
        self.now = now
        self.timeZone = timeZone
    }

    /// The process's standard streams, the current time, and the system time zone as
    /// ``systemTimeZone(environment:)`` finds it.
    package static func system(environment: [String: String] = ProcessInfo.processInfo.environment) -> CommandContext {
        let output = CommandOutput(fileHandle: .standardOutput)
        return CommandContext(
            input: LineReader(fileHandle: .standardInput, willWait: output.flush),
            output: output,
            errorOutput: CommandOutput(fileHandle: .standardError),
            now: Date(),
            timeZone: systemTimeZone(environment: environment)
        )
    }

    /// The zone named by the `TZ` environment variable when it is set to a known IANA name (a
    /// leading `:` and a `…/zoneinfo/` path prefix are accepted), otherwise the system's zone.
    package static func systemTimeZone(environment: [String: String]) -> TimeZone {
        guard var name = environment["TZ"], !name.isEmpty else { return .current }
        if name.hasPrefix(":") { name.removeFirst() }
        if let range = name.range(of: "zoneinfo/") { name = String(name[range.upperBound...]) }
        return TimeZone(identifier: name) ?? .current
    }
}
