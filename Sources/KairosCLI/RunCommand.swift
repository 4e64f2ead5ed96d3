import Foundation
import Kairos

extension Subcommand {
    /// `kairos run`: runs the commands of a crontab on their schedules.
    package static let run = Subcommand(
        name: "run",
        summary: "Run the commands of a crontab file on their schedules.",
        arguments: "CRONTAB",
        maximumPositionals: 1,
        options: [
            CommandOption(
                "--state", valueName: "FILE",
                help: "Keep the jobs in this state file: fire times missed while stopped are caught up on start."),
            CommandOption("--check", valueName: nil, help: "Validate the crontab, list each job's next runs, and exit."),
            CommandOption("--count", shortNames: ["-n"], valueName: "N", help: "With --check: how many runs to list per job (default 3)."),
            CommandOption(
                "--overlapping", valueName: nil,
                help: "Let a job start while its previous run is still going (default: skip that fire)."),
            CommandOption(
                "--stop-timeout", valueName: "SECONDS",
                help: "On SIGTERM/SIGINT, wait this long for running commands, then kill them (default 30)."),
            CommandOption(
                "--reap-orphans", valueName: nil,
                help: "Reap the orphaned processes of commands, as a child subreaper (Linux); default on when PID 1."),
        ],
        discussion: """
            Each job line is a schedule (5 cron fields, 6 with a leading seconds field, or a macro:
            @yearly @annually @monthly @weekly @daily @midnight @hourly, or @reboot for once at
            start) and a command, run with /bin/sh -c. NAME=value lines set the environment of
            every command; CRON_TZ=Zone sets the time zone of the lines after it (default: $TZ,
            else the system's). Blank lines and # comments are ignored.

            Every run is logged on standard output (start, exit status, duration) with the job's
            line number; the command's output is passed through, each line prefixed the same way.
            A run ends when its shell exits: processes it leaves in the background are not
            waited for or signalled, and their output is passed through while kairos runs.
            A job whose previous run is still going skips its fire (logged) unless
            --overlapping is given. With --state, jobs are kept in FILE: after a restart, of
            the fire times missed while stopped the latest runs once and the others are logged
            as missed; the crontab is matched to the state by schedule and command. SIGHUP
            reloads the crontab. SIGTERM or SIGINT stops: no new runs, running commands get
            --stop-timeout seconds, then SIGKILL.

            When kairos is PID 1 (in a container), or with --reap-orphans, it also waits for the
            processes that commands leave running in the background once they exit, so that
            they do not stay zombies (the job of an init such as tini).

            Exit status: 0 stopped by a signal, or --check found no error; 1 a bad crontab or
            state file; 2 a bad command line.
            """,
        run: RunCommand.run
    )
}

/// The implementation of `kairos run`.
package enum RunCommand {
    static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws(UsageError) -> Int32 {
        guard let path = arguments.positionals.first else { throw UsageError("missing the CRONTAB file") }
        var count = 3
        if let text = arguments.values["--count"] {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw UsageError("--count must be a whole number from 1 to 1000, not '\(text)'")
            }
            count = value
        }
        var stopTimeout = Duration.seconds(30)
        if let text = arguments.values["--stop-timeout"] {
            guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                throw UsageError("--stop-timeout must be a number of seconds, not '\(text)'")
            }
            stopTimeout = .milliseconds(Int64(seconds * 1000))
        }
        context.warnAboutTimeZone("kairos run")
        let text: String
        do {
            text = try Crontab.read(atPath: path)
        } catch {
            context.errorOutput.write("kairos run: \(error)\n")
            return 1
        }
        let crontab: Crontab
        do {
            crontab = try Crontab.parse(text, timeZone: context.timeZone)
        } catch {
            for problem in error.problems { context.errorOutput.write("\(path): \(problem)\n") }
            return 1
        }
        if arguments.flags.contains("--check") {
            list(crontab, count: count, context: context)
            return 0
        }
        context.output.flush()
        let settings = CrontabRunner.Settings(
            crontabPath: path, statePath: arguments.values["--state"], overlapping: arguments.flags.contains("--overlapping"),
            stopTimeout: stopTimeout, timeZone: context.timeZone,
            reapOrphans: arguments.flags.contains("--reap-orphans") || getpid() == 1)
        let runner: CrontabRunner
        do {
            runner = try CrontabRunner(settings: settings, log: RunLog())
        } catch {
            context.errorOutput.write("kairos run: \(error)\n")
            return 1
        }
        return runner.run(crontab)
    }

    /// `--check`: each job, its schedule in words, and its next runs.
    static func list(_ crontab: Crontab, count: Int, context: CommandContext) {
        for (name, value) in crontab.environment.sorted(by: { $0.key < $1.key }) {
            context.output.write("env \(name)=\(value)\n")
        }
        for entry in crontab.entries {
            context.output.write("line \(entry.line): \(entry.scheduleText)  \(entry.command)\n")
            switch entry.schedule {
            case .reboot:
                context.output.write("    once, when kairos run starts\n")
            case .cron(let expression):
                context.output.write("    \(expression.explanation) (\(entry.timeZone.identifier))\n")
                for date in expression.dates(after: context.now, in: entry.timeZone).prefix(count) {
                    context.output.write("    \(ISO8601Timestamp.string(for: date, in: entry.timeZone))\n")
                }
            }
        }
        context.output.write("\(crontab.entries.count) job(s), no errors\n")
    }
}
