import Foundation
import KairosHTTP

/// Runs per minute and their lateness over the last hour, as two inline SVG charts drawn by the
/// server, with the same figures as a table for those who read rather than look.
struct ActivityPage {
    var layout: PageLayout
    /// Every run the server remembers (finished and going).
    var runs: [RunRecord]
    var now: Date

    static let minutes = 60
    static let width = 720.0
    static let height = 180.0
    static let margin = (left: 44.0, bottom: 30.0, top: 8.0)

    /// One minute of the hour.
    struct Minute {
        var start: Date
        var counts: [RunRecord.Outcome: Int] = [:]
        var maximumLateness = 0.0
        var total: Int { counts.values.reduce(0, +) }
    }

    /// The last 60 minutes, oldest first; each run counted in the minute it started.
    var buckets: [Minute] {
        let end = (now.timeIntervalSinceReferenceDate / 60).rounded(.down) * 60 + 60
        let start = end - Double(Self.minutes * 60)
        var minutes = (0..<Self.minutes).map { Minute(start: Date(timeIntervalSinceReferenceDate: start + Double($0 * 60))) }
        for run in runs {
            guard let started = run.startedAt?.timeIntervalSinceReferenceDate, started >= start, started < end else { continue }
            let index = Int((started - start) / 60)
            minutes[index].counts[run.outcome, default: 0] += 1
            minutes[index].maximumLateness = max(minutes[index].maximumLateness, DisplayText.lateness(run) ?? 0)
        }
        return minutes
    }

    var html: HTML {
        let minutes = buckets
        let total = minutes.map(\.total).reduce(0, +)
        return layout.page(
            title: "Activity", current: .activity, events: layout.base + "/events",
            """
            <section id="activity" data-live aria-label="The last hour">
            <p>The last hour, by the minute each run started (UTC): \(DisplayText.count(total, "run", "runs")).</p>
            <figure class="chart">
            <figcaption id="runs-chart-title">Runs per minute. \(Legend.outcomes(includingRunning: true))</figcaption>
            \(runsChart(minutes))
            </figure>
            <figure class="chart">
            <figcaption id="lateness-chart-title">Lateness: the latest start after its due date, per minute</figcaption>
            \(latenessChart(minutes))
            </figure>
            \(table(minutes))
            </section>
            """)
    }

    private var plotWidth: Double { Self.width - Self.margin.left }
    private var plotHeight: Double { Self.height - Self.margin.bottom - Self.margin.top }

    private func runsChart(_ minutes: [Minute]) -> HTML {
        let peak = max(minutes.map(\.total).max() ?? 0, 1)
        let slot = plotWidth / Double(Self.minutes)
        let order: [RunRecord.Outcome] = [.succeeded, .failed, .timedOut, .cancelled, .running]
        var bars: [HTML] = []
        for (index, minute) in minutes.enumerated() where minute.total > 0 {
            var base = Self.height - Self.margin.bottom
            for outcome in order {
                guard let count = minute.counts[outcome], count > 0 else { continue }
                let height = plotHeight * Double(count) / Double(peak)
                base -= height
                bars.append(
                    """
                    <rect class="bar outcome-\(outcome.rawValue)" x="\(RunTimeline.number(Self.margin.left + Double(index) * slot + 1))" \
                    y="\(RunTimeline.number(base))" width="\(RunTimeline.number(max(slot - 2, 1)))" height="\(RunTimeline.number(height))">\
                    <title>\(DisplayText.date(minute.start)): \(count) \(DisplayText.outcome(outcome))</title></rect>
                    """)
            }
        }
        let summary = "Runs per minute over the last hour: at most \(minutes.map(\.total).max() ?? 0) in a minute"
        return svg(label: summary, axis: "\(peak) runs", minutes: minutes, HTML(joining: bars))
    }

    private func latenessChart(_ minutes: [Minute]) -> HTML {
        let peak = max(minutes.map(\.maximumLateness).max() ?? 0, 1)
        let slot = plotWidth / Double(Self.minutes)
        let points = minutes.enumerated().compactMap { index, minute -> (Double, Double, Minute)? in
            guard minute.total > 0 else { return nil }
            let x = Self.margin.left + (Double(index) + 0.5) * slot
            let y = Self.height - Self.margin.bottom - plotHeight * minute.maximumLateness / peak
            return (x, y, minute)
        }
        let line = points.map { "\(RunTimeline.number($0.0)),\(RunTimeline.number($0.1))" }.joined(separator: " ")
        let dots = points.map { point -> HTML in
            """
            <circle class="dot" cx="\(RunTimeline.number(point.0))" cy="\(RunTimeline.number(point.1))" r="3">\
            <title>\(DisplayText.date(point.2.start)): late by up to \(DisplayText.duration(seconds: point.2.maximumLateness))</title></circle>
            """
        }
        let path: HTML = points.count > 1 ? "<polyline class=\"line\" points=\"\(line)\"></polyline>" : .empty
        let summary = "Lateness per minute over the last hour: at most \(DisplayText.duration(seconds: minutes.map(\.maximumLateness).max() ?? 0))"
        return svg(label: summary, axis: DisplayText.duration(seconds: peak), minutes: minutes, "\(path)\(dots)")
    }

    /// The frame of a chart: the axes, the top value, and the time every 15 minutes.
    private func svg(label: String, axis: String, minutes: [Minute], _ content: HTML) -> HTML {
        let bottom = Self.height - Self.margin.bottom
        let ticks = stride(from: 0, through: Self.minutes, by: 15).map { index -> HTML in
            let x = Self.margin.left + plotWidth * Double(index) / Double(Self.minutes)
            let date = index < minutes.count ? minutes[index].start : minutes[minutes.count - 1].start.addingTimeInterval(60)
            let anchor = index == 0 ? "start" : index == Self.minutes ? "end" : "middle"
            let label = String(DisplayText.date(date).dropFirst(11).prefix(5))
            return "<text class=\"tick\" x=\"\(RunTimeline.number(x))\" y=\"\(Int(Self.height) - 6)\" text-anchor=\"\(anchor)\">\(label)</text>"
        }
        return """
            <svg viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" aria-label="\(label)">\
            <line class="axis" x1="\(Int(Self.margin.left))" y1="\(Int(bottom))" x2="\(Int(Self.width))" y2="\(Int(bottom))"></line>\
            <line class="grid" x1="\(Int(Self.margin.left))" y1="\(Int(Self.margin.top))" x2="\(Int(Self.width))" y2="\(Int(Self.margin.top))"></line>\
            <text class="tick" x="\(Int(Self.margin.left) + 4)" y="\(Int(Self.margin.top) + 2)" dominant-baseline="hanging">\(axis)</text>\
            <text class="tick" x="\(Int(Self.margin.left) - 4)" y="\(Int(bottom))" text-anchor="end">0</text>\
            \(ticks)\(content)</svg>
            """
    }

    private func table(_ minutes: [Minute]) -> HTML {
        let busy = minutes.filter { $0.total > 0 }.reversed()
        guard !busy.isEmpty else { return "<p class=\"empty\">No run started in the last hour.</p>" }
        let rows = busy.map { minute -> HTML in
            let failed = minute.total - (minute.counts[.succeeded] ?? 0) - (minute.counts[.running] ?? 0)
            return """
                <tr><td>\(String(DisplayText.date(minute.start).dropFirst(11).prefix(5)))</td><td class="number">\(minute.total)</td>\
                <td class="number">\(failed)</td><td>\(DisplayText.duration(seconds: minute.maximumLateness))</td></tr>
                """
        }
        return """
            <details class="chart-data"><summary>The figures as a table</summary>
            <div class="table-wrap"><table><thead><tr><th scope="col">Minute (UTC)</th><th scope="col">Runs</th>\
            <th scope="col">Not succeeded</th><th scope="col">Latest start</th></tr></thead><tbody>\(Array(rows))</tbody></table></div>
            </details>
            """
    }
}
