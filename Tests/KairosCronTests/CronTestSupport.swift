import Foundation

@testable import KairosCron

/// Helpers that let cron tests state instants as ISO 8601 text with an explicit UTC offset.
enum CronTesting {
    static func zone(_ identifier: String) -> TimeZone {
        TimeZone(identifier: identifier)!
    }

    /// Parses `2026-03-08T03:00:00-04:00` (or with `Z`, or with fractional seconds).
    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { fatalError("bad test date \(text)") }
        return date
    }

    /// Formats a date in `zone` as `2026-03-08T03:00:00-04:00` (`Z` for UTC).
    static func text(_ date: Date?, in zone: TimeZone) -> String {
        guard let date else { return "nil" }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The first `count` fire times after `start`, formatted in `zone`.
    static func next(_ expression: String, after start: String, in zoneName: String = "UTC", count: Int) throws -> [String] {
        let zone = zone(zoneName)
        let cron = try CronExpression(expression)
        return cron.dates(after: date(start), in: zone).prefix(count).map { text($0, in: zone) }
    }

    /// The last `count` fire times before `start`, latest first, formatted in `zone`.
    static func previous(_ expression: String, before start: String, in zoneName: String = "UTC", count: Int) throws -> [String] {
        let zone = zone(zoneName)
        let cron = try CronExpression(expression)
        var results: [String] = []
        var cursor = date(start)
        while results.count < count, let found = cron.previousDate(before: cursor, in: zone) {
            results.append(text(found, in: zone))
            cursor = found
        }
        return results
    }

    /// The instants at which `zone` changes its UTC offset during `year` (UTC).
    static func transitions(in zone: TimeZone, year: Int) -> [Date] {
        var transitions: [Date] = []
        var cursor = date("\(year)-01-01T00:00:00Z")
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < date("\(year + 1)-01-01T00:00:00Z") {
            transitions.append(next)
            cursor = next
        }
        return transitions
    }
}
