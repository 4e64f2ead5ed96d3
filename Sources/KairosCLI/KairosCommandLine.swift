import Kairos

/// The `kairos` command: the table of subcommands and the dispatch over it.
///
/// The executable is a shell around ``run(_:context:)``; everything it does is here, testable
/// with an in-memory ``CommandContext``.
///
/// Exit status: 0 success; 1 the command ran but its input was bad (an invalid expression);
/// 2 the command line itself was bad (unknown subcommand or option, bad option value);
/// 3 (``noResultStatus``) `kairos next` found no fire time.
package enum KairosCommandLine {
    /// The exit status of a valid request that has no answer: `kairos next` for an expression
    /// with no fire time after `--after`.
    package static let noResultStatus: Int32 = 3

    /// Every subcommand, in the order `kairos --help` lists them.
    package static let subcommands: [Subcommand] = [.next, .explain, .run]

    /// The text of `kairos --help`.
    package static var help: String {
        let width = subcommands.map(\.name.count).max() ?? 0
        let list = subcommands.map {
            "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)"
        }
        return """
            kairos: cron schedules from the command line.

            usage: kairos <command> [arguments] [options]

            commands:
            \(list.joined(separator: "\n"))

            Run 'kairos <command> --help' for the options of a command.

            """
    }

    /// Runs the command line `arguments` (without the program name) and returns the exit status.
    /// Flushes both outputs before returning.
    package static func run(_ arguments: [String], context: CommandContext) -> Int32 {
        defer {
            context.output.flush()
            context.errorOutput.flush()
        }
        guard let first = arguments.first else {
            context.errorOutput.write(help)
            return 2
        }
        if first == "--help" || first == "-h" || first == "help" {
            guard arguments.count > 1 else {
                context.output.write(help)
                return 0
            }
            guard let subcommand = subcommands.first(where: { $0.name == arguments[1] }) else {
                return unknownCommand(arguments[1], context: context)
            }
            context.output.write(subcommand.help)
            return 0
        }
        guard let subcommand = subcommands.first(where: { $0.name == first }) else {
            return unknownCommand(first, context: context)
        }
        do throws(UsageError) {
            guard let parsed = try subcommand.parse(Array(arguments.dropFirst())) else {
                context.output.write(subcommand.help)
                return 0
            }
            return try subcommand.run(parsed, context)
        } catch {
            context.output.flush()
            context.errorOutput.write("kairos \(subcommand.name): \(error)\n\(subcommand.usage)\n")
            return 2
        }
    }

    private static func unknownCommand(_ name: String, context: CommandContext) -> Int32 {
        context.errorOutput.write("kairos: unknown command '\(name)'\n\n\(help)")
        return 2
    }
}
