import Foundation
import Kairos

/// The `trigger` of a schedule request, read into a Kairos trigger.
///
/// ```json
/// {"type": "cron", "expression": "0 9 * * mon-fri", "timeZone": "Europe/Paris"}
/// {"type": "interval", "interval": "20m", "startAt": "now", "repeatCount": 10}
/// {"type": "interval", "interval": "1h", "startAt": "2026-01-15T15:06:00Z", "until": "2d"}
/// {"type": "once", "at": "2026-01-15T15:06:00Z"}
/// {"type": "event", "key": "invoice.paid"}
/// ```
enum TriggerSpec {
    static let types = ["cron", "interval", "once", "event"]

    /// Reads the trigger; `now` is the scheduler clock's time (the meaning of `"now"`).
    static func parse(_ value: JSONValue, field: String, now: Date) throws(Problem) -> any Trigger {
        var fields = try JSONFields(value, path: field)
        let type = try fields.requiredString("type")
        let trigger: any Trigger
        switch type {
        case "cron":
            let text = try fields.requiredString("expression")
            let zoneName = try fields.string("timeZone") ?? "UTC"
            guard let zone = TimeZone(identifier: zoneName) else {
                throw .invalid(fields.name("timeZone"), "\"\(zoneName)\" is not an IANA time zone identifier (such as \"Europe/Paris\" or \"UTC\")")
            }
            do {
                trigger = try CronTrigger(text, timeZone: zone)
            } catch {
                throw .invalid(fields.name("expression"), "\"\(text)\": \(error.description)")
            }
        case "interval":
            guard let interval = try fields.duration("interval") else { throw .invalid(fields.name("interval"), "is required") }
            guard interval > .zero else { throw .invalid(fields.name("interval"), "must be longer than zero") }
            // "now" is the next whole second: a start already past when the job is scheduled,
            // even by the milliseconds the request takes, would not fire (§4.2, "at or after").
            let nextSecond = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.up))
            let start = try date(&fields, "startAt", now: nextSecond, relativeTo: nil) ?? nextSecond
            let end = try date(&fields, "until", now: now, relativeTo: start)
            let repeatCount = try fields.integer("repeatCount", in: 1...Int(Int32.max))
            if let end, end < start { throw .invalid(fields.name("until"), "is before startAt") }
            do {
                trigger = try IntervalTrigger(every: interval, startingAt: start, until: end, repeatCount: repeatCount)
            } catch {
                throw .invalid(fields.name(error.parameter == "every" ? "interval" : error.parameter), error.reason)
            }
        case "once":
            guard let date = try date(&fields, "at", now: now, relativeTo: nil) else { throw .invalid(fields.name("at"), "is required") }
            trigger = OnceTrigger(at: date)
        case "event":
            let key = try fields.requiredString("key")
            guard !key.isEmpty, key.utf8.count <= 256 else { throw .invalid(fields.name("key"), "must be 1 to 256 bytes long") }
            trigger = SignalTrigger(key: key)
        default:
            throw .invalid(fields.name("type"), "\"\(type)\" is not a trigger type; use one of \(types.joined(separator: ", "))")
        }
        try fields.finish()
        return trigger
    }

    /// A date member: `"now"`, ISO 8601 (`2026-01-15T15:06:00Z`, offsets and fractions allowed)
    /// or, when `relativeTo` is given, a duration after it (`"2d"`).
    private static func date(_ fields: inout JSONFields, _ key: String, now: Date, relativeTo base: Date?) throws(Problem) -> Date? {
        guard let value = try fields.value(key) else { return nil }
        let name = fields.name(key)
        guard case .string(let text) = value else {
            throw .invalid(name, "must be a string: \"now\" or an ISO 8601 date (got \(JSONFields.kind(of: value)))")
        }
        if text == "now" { return now }
        if let date = ISO8601.parse(text) { return date }
        if let base, let first = text.first, first.isNumber || first == "-" {
            return base.addingTimeInterval(try DurationText.parse(text, field: name).inSeconds)
        }
        let accepted = base == nil ? "\"now\" or an ISO 8601 date" : "\"now\", an ISO 8601 date or a duration after startAt"
        throw .invalid(name, "\"\(text)\" is not \(accepted) (such as \"2026-01-15T15:06:00Z\")")
    }

    /// The trigger as the API writes it, with its jitter apart (`nil` for a trigger the API
    /// cannot show).
    static func render(_ description: TriggerDescription?) -> (trigger: JSONValue, jitter: Duration?) {
        switch description {
        case .cron(let expression, let timeZone, _, _):
            return (["type": "cron", "expression": .string(expression), "timeZone": .string(timeZone)], nil)
        case let .interval(seconds, start, end, repeatCount):
            var object: [String: JSONValue] = ["type": "interval", "interval": .string(DurationText.format(.milliseconds(Int64((seconds * 1000).rounded()))))]
            if let start { object["startAt"] = .string(ISO8601.format(start)) }
            if let end { object["until"] = .string(ISO8601.format(end)) }
            if let repeatCount { object["repeatCount"] = .integer(repeatCount) }
            return (.object(object), nil)
        case .once(let date):
            return (["type": "once", "at": .string(ISO8601.format(date))], nil)
        case .signal(let key):
            return (["type": "event", "key": .string(key)], nil)
        case .manual:
            return (["type": "manual"], nil)
        case let .jittered(base, maxJitter):
            return (render(base).trigger, .milliseconds(Int64((maxJitter * 1000).rounded())))
        case nil:
            return (["type": "custom"], nil)
        }
    }
}
