import Foundation

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
    /// Why ``timeZone`` is not the zone the user asked for (`TZ` names no known zone), or `nil`;
    /// the commands that use ``timeZone`` print it on standard error.
    package var timeZoneWarning: String?

    /// A context over the given streams.
    package init(
        input: LineReader, output: CommandOutput, errorOutput: CommandOutput, now: Date, timeZone: TimeZone,
        timeZoneWarning: String? = nil
    ) {
        self.input = input
        self.output = output
        self.errorOutput = errorOutput
        self.now = now
        self.timeZone = timeZone
        self.timeZoneWarning = timeZoneWarning
    }

    /// The process's standard streams, the current time, and the default time zone as
    /// ``defaultTimeZone(environment:)`` finds it.
    package static func system(environment: [String: String] = ProcessInfo.processInfo.environment) -> CommandContext {
        let output = CommandOutput(fileHandle: .standardOutput)
        let zone = defaultTimeZone(environment: environment)
        return CommandContext(
            input: LineReader(fileHandle: .standardInput, willWait: output.flush),
            output: output,
            errorOutput: CommandOutput(fileHandle: .standardError),
            now: Date(),
            timeZone: zone.timeZone,
            timeZoneWarning: zone.warning
        )
    }

    /// The zone named by the `TZ` environment variable when it is set to a known IANA name (a
    /// leading `:` and a `…/zoneinfo/` path prefix are accepted), otherwise the system's zone,
    /// with a warning if `TZ` was set to a name that is not a known zone.
    package static func defaultTimeZone(environment: [String: String]) -> (timeZone: TimeZone, warning: String?) {
        guard let value = environment["TZ"], !value.isEmpty else { return (.current, nil) }
        var name = value
        if name.hasPrefix(":") { name.removeFirst() }
        if let range = name.range(of: "zoneinfo/") { name = String(name[range.upperBound...]) }
        if let zone = TimeZone(identifier: name) { return (zone, nil) }
        let system = TimeZone.current
        return (system, "warning: TZ='\(value)' is not a known time zone; using the system zone, \(system.identifier)")
    }

    /// Writes ``timeZoneWarning``, if any, on standard error, as said by `command` (`kairos run`).
    package func warnAboutTimeZone(_ command: String) {
        if let timeZoneWarning { errorOutput.write("\(command): \(timeZoneWarning)\n") }
    }
}
