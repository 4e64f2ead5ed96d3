import Foundation
import Kairos
import KairosHTTP

/// Dates, durations and triggers as the pages write them: dates in UTC with the time from now,
/// durations in the largest units that fit, triggers in words.
enum DisplayText {
    /// `2026-12-07 17:30:05 UTC`.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0,
            parts.second ?? 0)
    }

    /// A `<time>` element: the date, and how far it is from `now`.
    static func time(_ date: Date?, now: Date) -> HTML {
        guard let date else { return "<span class=\"muted\">—</span>" }
        let offset = date.timeIntervalSince(now)
        let relative = abs(offset) < 1 ? "now" : offset > 0 ? "in \(duration(seconds: offset))" : "\(duration(seconds: -offset)) ago"
        return "<time datetime=\"\(ISO8601DateFormatter().string(from: date))\">\(Self.date(date))</time> <span class=\"muted\">(\(relative))</span>"
    }

    /// `250 ms`, `4.2 s`, `3 min 5 s`, `2 h 5 min`, `3 d 4 h`.
    static func duration(seconds: Double) -> String {
        let seconds = max(0, seconds)
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s" }
        if whole < 86_400 { return (whole % 3600) / 60 == 0 ? "\(whole / 3600) h" : "\(whole / 3600) h \((whole % 3600) / 60) min" }
        return (whole % 86_400) / 3600 == 0 ? "\(whole / 86_400) d" : "\(whole / 86_400) d \((whole % 86_400) / 3600) h"
    }

    static func duration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return Self.duration(seconds: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The trigger in words: a cron expression's explanation (with the expression), an
    /// interval's period and bounds, a date, an event key.
    static func trigger(_ description: TriggerDescription?) -> String {
        switch description {
        case let .cron(expression, _, _, _):
            guard let parsed = try? CronExpression(expression) else { return "Cron \(expression)" }
            return "\(parsed.explanation) (\(expression))"
        case let .interval(seconds, start, end, repeatCount):
            var words = "Every \(duration(seconds: seconds))"
            if let start { words += " from \(date(start))" }
            if let end { words += " until \(date(end))" }
            if let repeatCount { words += repeatCount == 1 ? ", once" : ", \(repeatCount) runs in all" }
            return words
        case .once(let at): return "Once, at \(date(at))"
        case .signal(let key): return "On the event “\(key)”"
        case .manual: return "Only when triggered"
        case let .jittered(base, maxJitter): return "\(trigger(base)), each run up to \(duration(seconds: maxJitter)) later at random"
        case nil: return "A custom trigger"
        }
    }

    /// The time zone a trigger counts in: a cron trigger's, `UTC` for the others (their dates
    /// are absolute).
    static func timeZone(_ description: TriggerDescription?) -> String {
        switch description {
        case let .cron(_, timeZone, _, _): timeZone
        case let .jittered(base, _): self.timeZone(base)
        case nil: "—"
        default: "UTC"
        }
    }

    /// The name of a run's outcome as a page shows it.
    static func outcome(_ outcome: RunRecord.Outcome) -> String {
        switch outcome {
        case .running: "running"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .timedOut: "timed out"
        case .cancelled: "cancelled"
        }
    }

    /// `1 run`, `3 runs`.
    static func count(_ count: Int, _ singular: String, _ plural: String) -> String {
        "\(count) \(count == 1 ? singular : plural)"
    }

    /// A run's lateness: its start after its due date.
    static func lateness(_ run: RunRecord) -> Double? {
        run.startedAt.map { max(0, $0.timeIntervalSince(run.dueDate)) }
    }

    /// A run's duration, once it ended.
    static func runDuration(_ run: RunRecord) -> Double? {
        guard let start = run.startedAt, let end = run.endedAt else { return nil }
        return max(0, end.timeIntervalSince(start))
    }
}
