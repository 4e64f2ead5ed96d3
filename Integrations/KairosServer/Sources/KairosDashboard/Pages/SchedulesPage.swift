import Foundation
import Kairos
import KairosHTTP

/// The schedules: each with its trigger in words, time zone, status, next fire time, last run and
/// counters; filtered by status and name, sorted by the column asked for.
struct SchedulesPage {
    /// How the list is sorted.
    enum Order: String, CaseIterable {
        case name, next, status, failures, last

        var label: String {
            switch self {
            case .name: "Name"
            case .next: "Next fire time"
            case .status: "Status"
            case .failures: "Most failures"
            case .last: "Latest run"
            }
        }
    }

    var layout: PageLayout
    var schedules: [KairosAPI.ScheduleOverview]
    var now: Date
    /// The name filter (a case-insensitive substring), the status filter and the order asked for.
    var nameFilter: String
    var statusFilter: String?
    var order: Order
    var notice: String?

    /// The schedules that pass the filters, in the order asked for (then by name).
    var shown: [KairosAPI.ScheduleOverview] {
        let filtered = schedules.filter { schedule in
            (statusFilter == nil || schedule.status == statusFilter)
                && (nameFilter.isEmpty || schedule.declaration.name.localizedCaseInsensitiveContains(nameFilter))
        }
        return filtered.sorted { left, right in
            let byName = (left.declaration.name.lowercased(), left.id) < (right.declaration.name.lowercased(), right.id)
            switch order {
            case .name: return byName
            case .next:
                let (a, b) = (left.nextFireTimes.first ?? .distantFuture, right.nextFireTimes.first ?? .distantFuture)
                return a == b ? byName : a < b
            case .status: return left.status == right.status ? byName : left.status < right.status
            case .failures:
                let (a, b) = (left.state?.counters.failures ?? 0, right.state?.counters.failures ?? 0)
                return a == b ? byName : a > b
            case .last:
                let (a, b) = (left.state?.lastStartDate ?? .distantPast, right.state?.lastStartDate ?? .distantPast)
                return a == b ? byName : a > b
            }
        }
    }

    var html: HTML {
        let statuses = ["pending", "running", "paused", "completed", "failed", "cancelled", "unrestored"]
        let statusOptions = HTML(
            joining: [HTML("<option value=\"\">Any</option>")]
                + statuses.map { status -> HTML in
                    let selected: HTML = status == statusFilter ? " selected" : .empty
                    return "<option value=\"\(status)\"\(selected)>\(status)</option>"
                })
        let orderOptions = HTML(
            joining: Order.allCases.map { option -> HTML in
                let selected: HTML = option == order ? " selected" : .empty
                return "<option value=\"\(option.rawValue)\"\(selected)>\(option.label)</option>"
            })
        let filters: HTML = """
            <form method="get" action="\(layout.base)/schedules" class="filters" role="search" aria-label="Filter schedules">
            <div class="field"><label for="filter-name">Name contains</label><input id="filter-name" name="q" type="search" value="\(nameFilter)"></div>
            <div class="field"><label for="filter-status">Status</label><select id="filter-status" name="status">\(statusOptions)</select></div>
            <div class="field"><label for="filter-sort">Sort by</label><select id="filter-sort" name="sort">\(orderOptions)</select></div>
            <button type="submit">Apply</button>
            </form>
            """
        let rows = shown.map(row)
        let table: HTML =
            rows.isEmpty
            ? (schedules.isEmpty
                ? "<p class=\"empty\">No schedules yet. Create one with <code>POST /v1/schedules</code>.</p>"
                : "<p class=\"empty\">No schedule matches these filters.</p>")
            : """
            <div class="table-wrap"><table class="schedules">
            <caption>\(rows.count) of \(DisplayText.count(schedules.count, "schedule", "schedules"))</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Trigger</th><th scope="col">Time zone</th><th scope="col">Status</th>\
            <th scope="col">Next fire time</th><th scope="col">Last run</th><th scope="col">Runs</th><th scope="col">Failures</th>\
            <th scope="col">Missed</th><th scope="col">Overlap-skipped</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table></div>
            """
        return layout.page(
            title: "Schedules", current: .schedules, events: layout.base + "/events", notice: notice,
            """
            \(filters)
            <section id="schedule-list" data-live aria-label="Schedule list">\(table)</section>
            """)
    }

    private func row(_ schedule: KairosAPI.ScheduleOverview) -> HTML {
        let state = schedule.state
        let counters = state?.counters
        var last: HTML = "<span class=\"muted\">never</span>"
        if let outcome = state?.lastOutcome {
            let duration: HTML = state?.lastDuration.map { " <span class=\"muted\">in \(DisplayText.duration($0))</span>" } ?? .empty
            last = "\(Badge.outcome(outcome))\(duration)"
        }
        return """
            <tr data-schedule="\(schedule.id)">\
            <th scope="row" data-label="Name"><a href="\(layout.schedulePath(schedule.id))">\(schedule.declaration.name)</a></th>\
            <td data-label="Trigger">\(DisplayText.trigger(state?.trigger))</td>\
            <td data-label="Time zone">\(DisplayText.timeZone(state?.trigger))</td>\
            <td data-label="Status">\(Badge.status(schedule.status))</td>\
            <td data-label="Next fire time">\(DisplayText.time(schedule.nextFireTimes.first, now: now))</td>\
            <td data-label="Last run">\(last)</td>\
            <td data-label="Runs" class="number">\(counters?.runs ?? 0)</td>\
            <td data-label="Failures" class="number">\(counters?.failures ?? 0)</td>\
            <td data-label="Missed" class="number">\(counters?.missed ?? 0)</td>\
            <td data-label="Overlap-skipped" class="number">\(counters?.overlapSkipped ?? 0)</td>\
            </tr>
            """
    }
}
