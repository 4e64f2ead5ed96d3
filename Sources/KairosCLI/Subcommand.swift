import Kairos

/// One entry of the `kairos` command table: its name, its help, the options it accepts and the
/// function that runs it.
///
/// Adding a subcommand takes one file that defines a `static let` of this type in an extension
/// and one entry in ``KairosCommandLine/subcommands``. The shared parser handles `--help`/`-h`,
/// unknown options, missing values and surplus arguments before `run` is called, and prints the
/// usage generated from this description.
package struct Subcommand: Sendable {
    /// The word after `kairos` (`next`).
    package let name: String
    /// One line for the command list in `kairos --help`.
    package let summary: String
    /// The positional part of the usage line (`[EXPR]`).
    package let arguments: String
    /// The most positional arguments the command takes.
    package let maximumPositionals: Int
    /// The options, in the order the help lists them.
    package let options: [CommandOption]
    /// The help paragraphs after the option list: defaults, formats, exit status.
    package let discussion: String
    /// Runs the command and returns its exit status. Throws ``UsageError`` for an option value it
    /// cannot use; the caller then prints the error and the usage and exits with status 2.
    package let run: @Sendable (ParsedArguments, CommandContext) throws(UsageError) -> Int32

    /// Describes a subcommand.
    package init(
        name: String, summary: String, arguments: String, maximumPositionals: Int,
        options: [CommandOption], discussion: String,
        run: @escaping @Sendable (ParsedArguments, CommandContext) throws(UsageError) -> Int32
    ) {
        self.name = name
        self.summary = summary
        self.arguments = arguments
        self.maximumPositionals = maximumPositionals
        self.options = options
        self.discussion = discussion
        self.run = run
    }

    /// `usage: kairos next [EXPR] [--count N] …`.
    package var usage: String {
        var line = "usage: kairos \(name)"
        if !arguments.isEmpty { line += " \(arguments)" }
        for option in options {
            line += option.valueName.map { " [\(option.name) \($0)]" } ?? " [\(option.name)]"
        }
        return line
    }

    /// The full `--help` text.
    package var help: String {
        var text = "\(summary)\n\n\(usage)\n\noptions:\n"
        let rows =
            options.map { option in
                ([option.name] + option.shortNames).joined(separator: ", ")
                    + (option.valueName.map { " \($0)" } ?? "")
            } + ["-h, --help"]
        let width = rows.map(\.count).max() ?? 0
        for (row, help) in zip(rows, options.map(\.help) + ["Show this help."]) {
            text += "  \(row.padding(toLength: width, withPad: " ", startingAt: 0))  \(help)\n"
        }
        if !discussion.isEmpty { text += "\n\(discussion)\n" }
        return text
    }

    /// Splits `arguments` (the words after the subcommand's name) into options and positionals.
    ///
    /// Accepts `--name value`, `--name=value` and short aliases; `--` ends the options. An option
    /// given twice, an unknown option, a missing value or too many positionals is a
    /// ``UsageError``. Returns `nil` when `--help` or `-h` was asked for.
    package func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments? {
        var parsed = ParsedArguments()
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if optionsEnded || !word.hasPrefix("-") || word == "-" {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" { optionsEnded = true; continue }
            if word == "--help" || word == "-h" { return nil }
            var name = word
            var inlineValue: String?
            if let equals = word.firstIndex(of: "="), word.hasPrefix("--") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            guard let option = options.first(where: { $0.name == name || $0.shortNames.contains(name) }) else {
                throw UsageError("unknown option '\(name)'")
            }
            guard parsed.values[option.name] == nil, !parsed.flags.contains(option.name) else {
                throw UsageError("option '\(option.name)' given more than once")
            }
            if let valueName = option.valueName {
                if let inlineValue {
                    parsed.values[option.name] = inlineValue
                } else if index < arguments.count {
                    parsed.values[option.name] = arguments[index]
                    index += 1
                } else {
                    throw UsageError("option '\(option.name)' needs a value \(valueName)")
                }
            } else {
                guard inlineValue == nil else { throw UsageError("option '\(option.name)' takes no value") }
                parsed.flags.insert(option.name)
            }
        }
        if parsed.positionals.count > maximumPositionals {
            let surplus = parsed.positionals[maximumPositionals]
            throw UsageError(
                maximumPositionals == 0
                    ? "unexpected argument '\(surplus)'"
                    : "unexpected argument '\(surplus)' (quote the expression: \"0 9 * * mon-fri\")")
        }
        return parsed
    }
}

/// An option a subcommand accepts.
package struct CommandOption: Sendable {
    /// The long name, with its dashes (`--count`); parsed values are keyed by it.
    package let name: String
    /// Other spellings (`-n`).
    package let shortNames: [String]
    /// The placeholder of its value in the help (`N`), or `nil` for a flag.
    package let valueName: String?
    /// One line of help.
    package let help: String

    /// Describes an option; `valueName == nil` makes it a flag.
    package init(_ name: String, shortNames: [String] = [], valueName: String?, help: String) {
        self.name = name
        self.shortNames = shortNames
        self.valueName = valueName
        self.help = help
    }
}

/// The words of a command line, sorted.
package struct ParsedArguments: Sendable, Equatable {
    /// The non-option words, in order.
    package var positionals: [String] = []
    /// The value of each option given, keyed by its long name.
    package var values: [String: String] = [:]
    /// The flags given, by long name.
    package var flags: Set<String> = []
}

/// A command line the command cannot run: printed with the usage, exit status 2.
package struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, e.g. `unknown option '--cout'`.
    package let description: String

    /// An error with the given message.
    package init(_ description: String) { self.description = description }
}
