import Foundation

/// A crontab file as `kairos run` reads it: job lines and environment lines.
///
/// - A job line is a schedule and a command: five cron fields (minute hour day-of-month month
///   day-of-week), six (with a leading seconds field), or one macro (`@hourly`, `@daily`, …, or
///   `@reboot` for "once when `kairos run` starts"), then the command, run by `/bin/sh -c`. A line
///   whose first six words form a valid 6-field expression is read as one; otherwise the first
///   five are the schedule. `%` has no special meaning in the command.
/// - `NAME=value` (spaces around `=` allowed, value optionally in single or double quotes) sets an
///   environment variable for every command. `CRON_TZ=Zone/Name` sets the time zone of the job
///   lines after it (default: `$TZ`, else the system's).
/// - Blank lines and lines whose first non-blank character is `#` are ignored.
package struct Crontab: Sendable, Equatable {
    /// One job line.
    package struct Entry: Sendable, Hashable {
        /// When the job runs.
        package enum Schedule: Sendable, Hashable {
            /// Once, when `kairos run` starts.
            case reboot
            /// On the expression's fire times, in the entry's time zone.
            case cron(CronExpression)
        }

        /// The 1-based line number in the file.
        package var line: Int
        package var schedule: Schedule
        /// The schedule as written (`*/5 * * * *`, `@daily`).
        package var scheduleText: String
        /// The command, as written after the schedule.
        package var command: String
        /// The zone the schedule is evaluated in.
        package var timeZone: TimeZone

        /// How logs name the job.
        package var label: String { "line \(line)" }

        /// What identifies the job across restarts and reloads: its schedule, zone and command
        /// (not its line number, so that adding a comment does not make it a new job).
        package var key: String { "\(scheduleText)\t\(timeZone.identifier)\t\(command)" }
    }

    /// The job lines, in file order.
    package var entries: [Entry]
    /// The environment lines, in file order (a later assignment of a name wins).
    package var environment: [String: String]

    /// Reads the crontab file at `path` (the text, UTF-8).
    ///
    /// - Throws: ``CrontabFileError`` saying why it cannot: no such file, a directory, no
    ///   permission, not UTF-8 text.
    package static func read(atPath path: String) throws(CrontabFileError) -> String {
        let data: Data?
        do {
            data = try POSIXFileSystem().readFile(at: path)
        } catch {
            let reason = error.code == EISDIR ? "it is a directory, not a file" : String(cString: strerror(error.code)).lowercased()
            throw CrontabFileError(path: path, reason: reason)
        }
        guard let data else { throw CrontabFileError(path: path, reason: "no such file") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CrontabFileError(path: path, reason: "it is not UTF-8 text")
        }
        return text
    }

    /// Parses the text of a crontab.
    ///
    /// - Throws: ``CrontabError`` listing every bad line with its number and what is wrong.
    package static func parse(_ text: String, timeZone defaultTimeZone: TimeZone) throws(CrontabError) -> Crontab {
        var crontab = Crontab(entries: [], environment: [:])
        var problems: [CrontabError.Problem] = []
        var timeZone = defaultTimeZone
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let (name, value) = environmentAssignment(trimmed) {
                if name == "CRON_TZ" {
                    guard let zone = TimeZone(identifier: value) else {
                        problems.append(.init(line: number, message: "CRON_TZ: unknown time zone '\(value)' (use an IANA name such as Europe/Paris)"))
                        continue
                    }
                    timeZone = zone
                }
                crontab.environment[name] = value
                continue
            }
            do throws(CrontabError.Problem) {
                crontab.entries.append(try entry(trimmed, line: number, timeZone: timeZone))
            } catch {
                problems.append(error)
            }
        }
        if !problems.isEmpty { throw CrontabError(problems: problems) }
        return crontab
    }

    /// `NAME=value` → (NAME, value without surrounding quotes), or `nil` for any other line.
    private static func environmentAssignment(_ line: Substring) -> (String, String)? {
        guard let first = line.first, first == "_" || (first.isASCII && first.isLetter) else { return nil }
        let name = line.prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        var rest = line.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst()
        var value = rest.trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
            value = String(value.dropFirst().dropLast())
        }
        return (String(name), value)
    }

    private static func entry(_ line: Substring, line number: Int, timeZone: TimeZone) throws(CrontabError.Problem) -> Entry {
        let words = fields(of: line, count: 7)
        func command(after fieldCount: Int) throws(CrontabError.Problem) -> String {
            guard words.count > fieldCount else {
                throw .init(line: number, message: "the command is missing: the line has only the schedule '\(words.map(\.text).joined(separator: " "))'")
            }
            return String(line[words[fieldCount].start...]).trimmingCharacters(in: .whitespaces)
        }
        if words[0].text.hasPrefix("@") {
            let macro = words[0].text
            if macro.lowercased() == "@reboot" {
                return Entry(line: number, schedule: .reboot, scheduleText: "@reboot", command: try command(after: 1), timeZone: timeZone)
            }
            guard let expression = try? CronExpression(macro) else {
                throw .init(line: number, message: "'\(macro)' is not a known macro (use @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            }
            return Entry(line: number, schedule: .cron(expression), scheduleText: macro, command: try command(after: 1), timeZone: timeZone)
        }
        if words.count >= 6 {
            let text = words[0..<6].map(\.text).joined(separator: " ")
            if let expression = try? CronExpression(text) {
                // Six words that form a 6-field schedule and nothing after them: a line missing
                // its command, not a 5-field schedule with the command `*` or `5`.
                return Entry(line: number, schedule: .cron(expression), scheduleText: text, command: try command(after: 6), timeZone: timeZone)
            }
        }
        guard words.count >= 5 else {
            throw .init(line: number, message: "expected a schedule (5 or 6 cron fields, or a macro such as @daily) and a command")
        }
        let text = words[0..<5].map(\.text).joined(separator: " ")
        let expression: CronExpression
        do {
            expression = try CronExpression(text)
        } catch {
            throw .init(line: number, message: "invalid schedule '\(text)': \(error)")
        }
        return Entry(line: number, schedule: .cron(expression), scheduleText: text, command: try command(after: 5), timeZone: timeZone)
    }

    /// The first `count` whitespace-separated words of `line`, with where each starts.
    private static func fields(of line: Substring, count: Int) -> [(text: String, start: Substring.Index)] {
        var words: [(text: String, start: Substring.Index)] = []
        var index = line.startIndex
        while words.count < count, index < line.endIndex {
            while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
            guard index < line.endIndex else { break }
            let start = index
            while index < line.endIndex, line[index] != " ", line[index] != "\t" { index = line.index(after: index) }
            words.append((String(line[start..<index]), start))
        }
        return words
    }
}

/// Why a crontab file could not be read.
package struct CrontabFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as given.
    package var path: String
    /// What is wrong (`no such file`, `it is a directory, not a file`, `permission denied`).
    package var reason: String

    package var description: String { "cannot read the crontab '\(path)': \(reason)" }
}

/// The bad lines of a crontab.
package struct CrontabError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One bad line.
    package struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The 1-based line number.
        package var line: Int
        /// What is wrong.
        package var message: String

        package var description: String { "line \(line): \(message)" }
    }

    /// Every bad line, in file order.
    package var problems: [Problem]

    /// One line per problem.
    package var description: String { problems.map(\.description).joined(separator: "\n") }
}
