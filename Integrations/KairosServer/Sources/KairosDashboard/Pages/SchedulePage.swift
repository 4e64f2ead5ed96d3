import Foundation
import Kairos
import KairosHTTP

/// One schedule: what it is, its counters, its next 10 fire times, a timeline of its recent runs
/// coloured by outcome with their lateness, each run's output tail and error, the runs going, and
/// (for a read-write session) pause, resume, trigger and delete.
struct SchedulePage {
    var layout: PageLayout
    var schedule: KairosAPI.ScheduleOverview
    /// Finished runs, newest first.
    var history: [RunRecord]
    var active: [RunRecord]
    var now: Date
    var notice: String?

    /// The most runs the timeline and the table show.
    static let shownRuns = 50

    var html: HTML {
        let path = layout.schedulePath(schedule.id)
        let events = layout.base + "/events?schedule=" + PageLayout.pathSegment(schedule.id)
        let runs = Array(history.prefix(Self.shownRuns))
        let canAct = layout.session?.scope == .readWrite && schedule.state != nil
        return layout.page(
            title: schedule.declaration.name, current: .schedules, events: events, notice: notice,
            """
            <p><a href="\(layout.base)/schedules">← All schedules</a></p>
            <section id="schedule-overview" data-live aria-labelledby="overview-heading">
            <h2 id="overview-heading">Overview</h2>
            \(overview)
            </section>
            \(canAct ? actions(path) : .empty)
            <section aria-labelledby="next-heading">
            <h2 id="next-heading">Next fire times</h2>
            \(nextFireTimes)
            </section>
            <section id="schedule-runs" data-live aria-labelledby="runs-heading">
            <h2 id="runs-heading">Recent runs</h2>
            \(activeRuns)
            \(RunTimeline(runs: runs.reversed()).html)
            \(runTable(runs))
            </section>
            """)
    }

    private var overview: HTML {
        let state = schedule.state
        let counters = state?.counters ?? JobCounters()
        let note: HTML = schedule.note.map { "<dt>Pause note</dt><dd class=\"pause-note\">\($0)</dd>" } ?? .empty
        var last: HTML = "<span class=\"muted\">never</span>"
        if let outcome = state?.lastOutcome {
            let duration: HTML = state?.lastDuration.map { " in \(DisplayText.duration($0))" } ?? .empty
            let error: HTML = state?.lastError.map { "<br><span class=\"error-text\">\(String(describing: $0))</span>" } ?? .empty
            last = "\(Badge.outcome(outcome))\(duration), due \(DisplayText.time(state?.lastDueDate, now: now))\(error)"
        }
        let unrestored: HTML =
            state == nil
            ? "<p class=\"warning\">Its function “\(schedule.declaration.function)” is not registered in this server, so it does not run here.</p>"
            : .empty
        return """
            \(unrestored)
            <dl class="facts">
            <dt>ID</dt><dd><code>\(schedule.id)</code></dd>
            <dt>Status</dt><dd>\(Badge.status(schedule.status))</dd>
            \(note)
            <dt>Trigger</dt><dd>\(DisplayText.trigger(state?.trigger))</dd>
            <dt>Time zone</dt><dd>\(DisplayText.timeZone(state?.trigger))</dd>
            <dt>Action</dt><dd>\(action)</dd>
            <dt>Last run</dt><dd>\(last)</dd>
            </dl>
            <ul class="counters" aria-label="Counters">
            <li><span class="count">\(counters.runs)</span> runs</li>
            <li><span class="count">\(counters.failures)</span> failures</li>
            <li><span class="count">\(counters.timeouts)</span> timeouts</li>
            <li><span class="count">\(counters.missed)</span> missed</li>
            <li><span class="count">\(counters.overlapSkipped)</span> overlap-skipped</li>
            </ul>
            """
    }

    /// A shell command or a webhook's method and URL; another function by its name (arguments
    /// are not shown: a webhook's headers may hold secrets).
    private var action: HTML {
        let declaration = schedule.declaration
        guard case .object(let arguments) = declaration.arguments else { return "<code>\(declaration.function)</code>" }
        switch declaration.function {
        case "kairos.shell":
            if case .string(let command)? = arguments["command"] { return "Shell: <code>\(command)</code>" }
        case "kairos.webhook":
            if case .string(let url)? = arguments["url"] {
                var method = "POST"
                if case .string(let given)? = arguments["method"] { method = given }
                return "Webhook: <code>\(method) \(url)</code>"
            }
        default: break
        }
        return "Function <code>\(declaration.function)</code>"
    }

    private var nextFireTimes: HTML {
        if schedule.nextFireTimes.isEmpty { return "<p class=\"muted\">None: it will not fire again on its own.</p>" }
        return "<ol class=\"fire-times\">\(schedule.nextFireTimes.map { date -> HTML in "<li>\(DisplayText.time(date, now: now))</li>" })</ol>"
    }

    private var activeRuns: HTML {
        guard !active.isEmpty else { return .empty }
        let items = active.map { run -> HTML in
            let started = run.startedAt.map { DisplayText.time($0, now: now) } ?? "not started"
            return "<li>\(Badge.outcome(.running)) due \(DisplayText.time(run.dueDate, now: now)), started \(started)</li>"
        }
        return "<h3>Running now</h3><ul class=\"active-runs\">\(items)</ul>"
    }

    private func runTable(_ runs: [RunRecord]) -> HTML {
        guard !runs.isEmpty else { return "<p class=\"empty\">No finished runs yet.</p>" }
        let rows = runs.enumerated().map { index, run -> HTML in
            let status: HTML =
                run.exitStatus.map { "exit \($0)" } ?? run.httpStatus.map { "HTTP \($0)" } ?? "<span class=\"muted\">—</span>"
            let error: HTML = run.error.map { "<span class=\"error-text\">\($0)</span>" } ?? "<span class=\"muted\">—</span>"
            let output: HTML =
                run.outputTail.map { tail -> HTML in
                    tail.isEmpty ? "<span class=\"muted\">empty</span>" : "<details><summary>Output tail</summary><pre>\(tail)</pre></details>"
                } ?? "<span class=\"muted\">—</span>"
            return """
                <tr id="run-\(index)"><td data-label="Due">\(DisplayText.time(run.dueDate, now: now))</td>\
                <td data-label="Outcome">\(Badge.outcome(run.outcome))</td>\
                <td data-label="Late by">\(DisplayText.lateness(run).map(DisplayText.duration(seconds:)) ?? "—")</td>\
                <td data-label="Took">\(DisplayText.runDuration(run).map(DisplayText.duration(seconds:)) ?? "—")</td>\
                <td data-label="Attempt" class="number">\(run.attempt ?? 1)</td>\
                <td data-label="Status">\(status)</td><td data-label="Error">\(error)</td><td data-label="Output">\(output)</td></tr>
                """
        }
        return """
            <div class="table-wrap"><table class="runs">
            <caption>The last \(DisplayText.count(runs.count, "finished run", "finished runs")), newest first</caption>
            <thead><tr><th scope="col">Due</th><th scope="col">Outcome</th><th scope="col">Late by</th><th scope="col">Took</th>\
            <th scope="col">Attempt</th><th scope="col">Exit or HTTP status</th><th scope="col">Error</th><th scope="col">Output</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }

    /// The action forms; each asks for confirmation on a page of its own before acting.
    private func actions(_ path: String) -> HTML {
        let token = layout.formTokenField
        let paused = schedule.state?.isPaused == true
        let pauseOrResume: HTML =
            paused
            ? """
            <form method="post" action="\(path)/resume" class="action">
            \(token)<fieldset><legend>Resume</legend>
            <div class="choice"><input type="radio" id="resume-catch-up" name="mode" value="catch-up" checked>\
            <label for="resume-catch-up">Catch up: the dates missed while paused go to the misfire policy</label></div>
            <div class="choice"><input type="radio" id="resume-from-now" name="mode" value="from-now">\
            <label for="resume-from-now">From now: skip the missed dates</label></div>
            <button type="submit">Resume…</button></fieldset></form>
            """
            : """
            <form method="post" action="\(path)/pause" class="action">
            \(token)<fieldset><legend>Pause</legend>
            <div class="field"><label for="pause-note">Note (optional)</label>\
            <input id="pause-note" name="note" type="text" maxlength="\(KairosAPI.maximumPauseNoteBytes)"></div>
            <button type="submit">Pause…</button></fieldset></form>
            """
        return """
            <section aria-labelledby="actions-heading" class="actions">
            <h2 id="actions-heading">Actions</h2>
            \(pauseOrResume)
            <form method="post" action="\(path)/trigger" class="action">\(token)<button type="submit">Trigger now…</button></form>
            <form method="post" action="\(path)/delete" class="action">\(token)<button type="submit" class="danger">Delete…</button></form>
            </section>
            """
    }
}
