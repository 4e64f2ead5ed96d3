import Foundation
import KairosHTTP

/// A schedule's recent runs as an inline SVG strip, oldest on the left: one bar a run, coloured
/// by outcome, its height its lateness (a late run stands out), with a tooltip naming both.
struct RunTimeline {
    /// Finished runs, oldest first.
    var runs: [RunRecord]

    static let width = 720.0
    static let height = 90.0

    var html: HTML {
        guard !runs.isEmpty else { return .empty }
        let slot = Self.width / Double(max(runs.count, 20))
        let latest = runs.compactMap(DisplayText.lateness).max() ?? 0
        let scale = max(latest, 1)
        let bars = runs.enumerated().map { index, run -> HTML in
            let lateness = DisplayText.lateness(run) ?? 0
            let barHeight = 12 + (Self.height - 24) * lateness / scale
            let x = Double(index) * slot + 1
            let title = "\(DisplayText.date(run.dueDate)): \(DisplayText.outcome(run.outcome)), late by \(DisplayText.duration(seconds: lateness))"
            return """
                <rect class="bar outcome-\(run.outcome.rawValue)" x="\(Self.number(x))" y="\(Self.number(Self.height - barHeight))" \
                width="\(Self.number(max(slot - 2, 1)))" height="\(Self.number(barHeight))"><title>\(title)</title></rect>
                """
        }
        let failed = runs.filter { $0.outcome != .succeeded }.count
        let summary =
            "\(runs.count) runs, \(failed) not succeeded; the latest start was \(DisplayText.duration(seconds: latest)) after its due date"
        return """
            <figure class="timeline">
            <svg viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" aria-label="\(summary)" preserveAspectRatio="none">\
            <line class="axis" x1="0" y1="\(Int(Self.height) - 1)" x2="\(Int(Self.width))" y2="\(Int(Self.height) - 1)"></line>\(bars)</svg>
            <figcaption>Oldest to newest; a taller bar started later after its due date (up to \(DisplayText.duration(seconds: latest))). \
            \(Legend.outcomes)</figcaption>
            </figure>
            """
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// The key of the outcome colours.
enum Legend {
    /// The finished outcomes' colours.
    static var outcomes: HTML { outcomes(includingRunning: false) }

    /// The outcomes' colours, with the runs still going' when a chart shows them.
    static func outcomes(includingRunning: Bool) -> HTML {
        let outcomes: [RunRecord.Outcome] = [.succeeded, .failed, .timedOut, .cancelled] + (includingRunning ? [.running] : [])
        return "<span class=\"legend\">\(outcomes.map { outcome -> HTML in "<span class=\"key outcome-\(outcome.rawValue)\">\(DisplayText.outcome(outcome))</span>" })</span>"
    }
}
