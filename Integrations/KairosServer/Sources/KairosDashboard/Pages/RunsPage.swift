import Foundation
import KairosHTTP

/// The runs going now, of every schedule, oldest start first.
struct RunsPage {
    var layout: PageLayout
    var runs: [RunRecord]
    /// Each schedule's name by its ID.
    var names: [String: String]
    var now: Date

    var html: HTML {
        let content: HTML
        if runs.isEmpty {
            content = "<p class=\"empty\">No run is going.</p>"
        } else {
            let rows = runs.map { run -> HTML in
                let name = names[run.schedule] ?? run.schedule
                let running: String = run.startedAt.map { DisplayText.duration(seconds: now.timeIntervalSince($0)) } ?? "—"
                return """
                    <tr><th scope="row" data-label="Schedule"><a href="\(layout.schedulePath(run.schedule))">\(name)</a></th>\
                    <td data-label="Due">\(DisplayText.time(run.dueDate, now: now))</td>\
                    <td data-label="Started">\(DisplayText.time(run.startedAt, now: now))</td>\
                    <td data-label="Late by">\(DisplayText.lateness(run).map(DisplayText.duration(seconds:)) ?? "—")</td>\
                    <td data-label="Running for">\(running)</td><td data-label="Attempt" class="number">\(run.attempt ?? 1)</td></tr>
                    """
            }
            content = """
                <div class="table-wrap"><table class="runs"><caption>\(DisplayText.count(runs.count, "run", "runs")) going</caption>
                <thead><tr><th scope="col">Schedule</th><th scope="col">Due</th><th scope="col">Started</th><th scope="col">Late by</th>\
                <th scope="col">Running for</th><th scope="col">Attempt</th></tr></thead><tbody>\(rows)</tbody></table></div>
                """
        }
        return layout.page(
            title: "Runs in progress", current: .runs, events: layout.base + "/events",
            "<section id=\"active-runs\" data-live aria-label=\"Runs going\">\(content)</section>")
    }
}
