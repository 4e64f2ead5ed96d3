import Kairos

extension Subcommand {
    /// `kairos explain`: a cron expression in words, or its normalized form.
    package static let explain = Subcommand(
        name: "explain",
        summary: "Describe a cron expression in words.",
        arguments: "[EXPR]",
        maximumPositionals: 1,
        options: [
            CommandOption("--normalized", valueName: nil, help: "Print the normalized expression instead.")
        ],
        discussion: """
            Prints one line: the description ("At 09:00, Monday through Friday"), or with
            --normalized the expression in canonical form ("0 9 * * 1-5").

            Without EXPR, reads one expression per line from standard input and prints one
            line for each, or 'error: <message>'. A blank input line gives a blank output line.

            Exit status: 0 success; 1 an invalid expression (in batch mode: any line);
            2 a bad command line.
            """,
        run: ExplainCommand.run
    )
}

/// The implementation of `kairos explain`.
enum ExplainCommand {
    static func run(_ arguments: ParsedArguments, _ context: CommandContext) -> Int32 {
        let normalized = arguments.flags.contains("--normalized")
        func describe(_ expression: CronExpression) -> String {
            normalized ? expression.description : expression.explanation
        }
        return context.answer(expression: arguments.positionals.first) { expression, _ in
            context.output.write(describe(expression) + "\n")
            return 0
        }
    }
}
