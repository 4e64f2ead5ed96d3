import Foundation

@testable import Kairos
@testable import KairosCLI

/// What one in-memory run of the `kairos` command produced.
struct CommandResult: Equatable {
    var status: Int32
    var output: String
    var errorOutput: String
}

/// Runs `kairos` with `arguments`, `input` as standard input, a fixed "now" and a default zone
/// (or the one `environment`'s `TZ` selects, as the executable does).
func runKairos(
    _ arguments: [String], input: String = "",
    now: Date = Date(timeIntervalSince1970: 1_772_884_800),  // 2026-03-07T12:00:00Z
    timeZone: TimeZone = TimeZone(identifier: "America/New_York")!,
    environment: [String: String]? = nil
) -> CommandResult {
    let collected = Collected()
    let zone = environment.map { CommandContext.defaultTimeZone(environment: $0) } ?? (timeZone: timeZone, warning: nil)
    let context = CommandContext(
        input: LineReader(text: input),
        output: CommandOutput { collected.output += $0 },
        errorOutput: CommandOutput { collected.errorOutput += $0 },
        now: now,
        timeZone: zone.timeZone,
        timeZoneWarning: zone.warning
    )
    let status = KairosCommandLine.run(arguments, context: context)
    return CommandResult(
        status: status,
        output: String(decoding: collected.output, as: UTF8.self),
        errorOutput: String(decoding: collected.errorOutput, as: UTF8.self))
}

private final class Collected {
    var output: [UInt8] = []
    var errorOutput: [UInt8] = []
}
