import Foundation

/// The JSON forms of the scheduler's value types in the state file, written and read by hand
/// (not through `Codable`, which is slow for `JSONValue`).
///
/// Trigger: `{"kind":"once","at":T}`, `{"kind":"interval","seconds":S,"start":T,"end":T,"repeatCount":N}`,
/// `{"kind":"cron","expression":E,"timeZone":Z,"start":T,"end":T}`, `{"kind":"event","key":K}`,
/// `{"kind":"manual"}`, `{"kind":"jittered","maxJitter":S,"base":{…}}`; dates are seconds since
/// 1970, optional members are left out.
///
/// Options: `{"maxRuns":N,"priority":P,"overlap":{"kind":"skip"|"bufferOne"|"bufferAll"|"cancelOther"|"allowAll","limit":N},
/// "misfire":{"window":S,"mode":"runLatest"|"runEarliest"|"runAll"},"timeout":S,"runOnStart":true}`.
enum SchedulerValueCoding {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Triggers

    static func json(_ trigger: TriggerDescription) -> JSONValue {
        var object: [String: JSONValue] = [:]
        switch trigger {
        case .once(let date):
            object = ["kind": "once", "at": json(date)]
        case let .interval(seconds, start, end, repeatCount):
            object = ["kind": "interval", "seconds": .number(seconds)]
            if let start { object["start"] = json(start) }
            if let end { object["end"] = json(end) }
            if let repeatCount { object["repeatCount"] = .number(Double(repeatCount)) }
        case let .cron(expression, timeZone, start, end):
            object = ["kind": "cron", "expression": .string(expression), "timeZone": .string(timeZone)]
            if let start { object["start"] = json(start) }
            if let end { object["end"] = json(end) }
        case .signal(let key):
            object = ["kind": "event", "key": .string(key)]
        case .manual:
            object = ["kind": "manual"]
        case let .jittered(base, maxJitter):
            object = ["kind": "jittered", "maxJitter": .number(maxJitter), "base": json(base)]
        }
        return .object(object)
    }

    static func trigger(_ value: JSONValue) throws(Failure) -> TriggerDescription {
        guard case .object(let object) = value else {
            throw Failure(description: "a trigger must be an object with a \"kind\"")
        }
        // One pass over the members instead of a hashed lookup per field: restoring 100,000 jobs
        // reads 100,000 triggers.
        var kind: String?
        var at: JSONValue?, seconds: JSONValue?, start: JSONValue?, end: JSONValue?, repeatCount: JSONValue?
        var expression: JSONValue?, timeZone: JSONValue?, key: JSONValue?, maxJitter: JSONValue?, base: JSONValue?
        for (name, member) in object {
            switch name {
            case "kind": if case .string(let text) = member { kind = text }
            case "at": at = member
            case "seconds": seconds = member
            case "start": start = member
            case "end": end = member
            case "repeatCount": repeatCount = member
            case "expression": expression = member
            case "timeZone": timeZone = member
            case "key": key = member
            case "maxJitter": maxJitter = member
            case "base": base = member
            default: break
            }
        }
        guard let kind else { throw Failure(description: "a trigger must be an object with a \"kind\"") }
        switch kind {
        case "once":
            return .once(at: try date(at, "at"))
        case "interval":
            return .interval(
                seconds: try number(seconds, "seconds"), start: try optionalDate(start, "start"),
                end: try optionalDate(end, "end"), repeatCount: try optionalInt(repeatCount, "repeatCount"))
        case "cron":
            return .cron(
                expression: try string(expression, "expression"), timeZone: try string(timeZone, "timeZone"),
                start: try optionalDate(start, "start"), end: try optionalDate(end, "end"))
        case "event":
            return .signal(key: try string(key, "key"))
        case "manual":
            return .manual
        case "jittered":
            guard let base else { throw Failure(description: "a jittered trigger needs \"base\"") }
            return .jittered(try trigger(base), maxJitter: try number(maxJitter, "maxJitter"))
        default:
            throw Failure(description: "unknown trigger kind \"\(kind)\"")
        }
    }

    // MARK: Options

    static func json(_ options: JobOptions) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let maxRuns = options.maxRuns { object["maxRuns"] = .number(Double(maxRuns)) }
        if options.priority != 0 { object["priority"] = .number(Double(options.priority)) }
        if let overlap = options.overlap {
            var policy: [String: JSONValue] = ["kind": .string(overlap.name)]
            if let limit = overlap.limit { policy["limit"] = .number(Double(limit)) }
            object["overlap"] = .object(policy)
        }
        if let misfire = options.misfire {
            var policy: [String: JSONValue] = ["mode": .string(misfire.mode.rawValue)]
            if let window = misfire.catchUpWindowSeconds { policy["window"] = .number(window) }
            object["misfire"] = .object(policy)
        }
        if let timeout = options.timeout { object["timeout"] = .number(timeout.timeInterval) }
        if options.runOnStart { object["runOnStart"] = true }
        return .object(object)
    }

    static func options(_ value: JSONValue) throws(Failure) -> JobOptions {
        if value == .null { return JobOptions() }
        guard case .object(let object) = value else { throw Failure(description: "options must be an object") }
        var options = JobOptions()
        options.maxRuns = try optionalInt(object["maxRuns"], "maxRuns")
        options.priority = try optionalInt(object["priority"], "priority") ?? 0
        if let overlap = object["overlap"] {
            guard case .object(let policy) = overlap else { throw Failure(description: "\"overlap\" must be an object") }
            let name = try string(policy["kind"], "overlap.kind")
            let limit = name == "bufferAll" || name == "allowAll" ? try int(policy["limit"], "overlap.limit") : nil
            guard let overlap = OverlapPolicy(name: name, limit: limit) else {
                throw Failure(description: "unknown overlap policy \"\(name)\"")
            }
            options.overlap = overlap
        }
        if let misfire = object["misfire"] {
            guard case .object(let policy) = misfire else { throw Failure(description: "\"misfire\" must be an object") }
            let modeName = try string(policy["mode"], "misfire.mode")
            guard let mode = MisfirePolicy.Mode(rawValue: modeName) else {
                throw Failure(description: "unknown misfire mode \"\(modeName)\"")
            }
            let window = try optionalDuration(policy["window"], "misfire.window")
            options.misfire = MisfirePolicy(catchUpWindow: window, mode: mode)
        }
        options.timeout = try optionalDuration(object["timeout"], "timeout")
        if case .bool(true)? = object["runOnStart"] { options.runOnStart = true }
        return options
    }

    // MARK: Values

    static func json(_ date: Date) -> JSONValue { .number(date.timeIntervalSince1970) }

    private static func number(_ value: JSONValue?, _ name: String) throws(Failure) -> Double {
        guard case .number(let number)? = value, number.isFinite else { throw Failure(description: "\"\(name)\" must be a number") }
        return number
    }

    private static func optionalNumber(_ value: JSONValue?, _ name: String) throws(Failure) -> Double? {
        guard let value, value != .null else { return nil }
        return try number(value, name)
    }

    /// The longest duration a state file may hold, in seconds (about 31.7 million years):
    /// larger numbers cannot all be made into a `Duration`.
    static let maximumDurationSeconds = 1e15

    private static func optionalDuration(_ value: JSONValue?, _ name: String) throws(Failure) -> Duration? {
        guard let seconds = try optionalNumber(value, name) else { return nil }
        guard abs(seconds) <= maximumDurationSeconds else {
            throw Failure(description: "\"\(name)\" must be at most 10^15 seconds (got \(seconds))")
        }
        return .seconds(seconds)
    }

    private static func int(_ value: JSONValue?, _ name: String) throws(Failure) -> Int {
        let value = try number(value, name)
        guard value == value.rounded(), abs(value) < 9e15 else { throw Failure(description: "\"\(name)\" must be an integer") }
        return Int(value)
    }

    private static func optionalInt(_ value: JSONValue?, _ name: String) throws(Failure) -> Int? {
        guard let value, value != .null else { return nil }
        return try int(value, name)
    }

    private static func date(_ value: JSONValue?, _ name: String) throws(Failure) -> Date {
        Date(timeIntervalSince1970: try number(value, name))
    }

    private static func optionalDate(_ value: JSONValue?, _ name: String) throws(Failure) -> Date? {
        try optionalNumber(value, name).map { Date(timeIntervalSince1970: $0) }
    }

    private static func string(_ value: JSONValue?, _ name: String) throws(Failure) -> String {
        guard case .string(let text)? = value else { throw Failure(description: "\"\(name)\" must be a string") }
        return text
    }
}
