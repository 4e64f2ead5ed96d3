import Foundation
import Kairos

/// The `options` of a schedule request.
///
/// ```json
/// {"overlap": "bufferAll", "overlapLimit": 3, "misfire": {"catchUpWindow": "1h", "mode": "runAll"},
///  "timeout": "5m", "retry": {"maxAttempts": 3, "delay": "10s"}, "maxRuns": 10, "jitter": "30s",
///  "priority": 5}
/// ```
struct ScheduleOptionsSpec: Sendable, Hashable {
    static let overlapPolicies = ["skip", "bufferOne", "bufferAll", "cancelOther", "allowAll"]
    static let misfireModes = ["runLatest", "runEarliest", "runAll"]

    var job = JobOptions()
    var jitter: Duration?
    var retry: RetrySpec?

    static func parse(_ value: JSONValue?, field: String) throws(Problem) -> ScheduleOptionsSpec {
        var spec = ScheduleOptionsSpec()
        guard let value else { return spec }
        var fields = try JSONFields(value, path: field)
        let limit = try fields.integer("overlapLimit", in: 1...65_535)
        if let overlap = try fields.string("overlap") {
            switch overlap {
            case "skip": spec.job.overlap = .skip
            case "bufferOne": spec.job.overlap = .bufferOne
            case "cancelOther": spec.job.overlap = .cancelOther
            case "bufferAll": spec.job.overlap = .bufferAll(limit: limit ?? 100)
            case "allowAll": spec.job.overlap = .allowAll(limit: limit ?? 10)
            default:
                throw .invalid(fields.name("overlap"), "\"\(overlap)\" is not one of \(overlapPolicies.joined(separator: ", "))")
            }
        }
        if limit != nil, !(spec.job.overlap == .bufferAll(limit: limit!) || spec.job.overlap == .allowAll(limit: limit!)) {
            throw .invalid(fields.name("overlapLimit"), "only applies to overlap \"bufferAll\" or \"allowAll\"")
        }
        if var misfire = try fields.object("misfire") {
            let window = try misfire.duration("catchUpWindow")
            let modeText = try misfire.string("mode") ?? "runLatest"
            guard let mode = MisfirePolicy.Mode(rawValue: modeText) else {
                throw .invalid(misfire.name("mode"), "\"\(modeText)\" is not one of \(misfireModes.joined(separator: ", "))")
            }
            try misfire.finish()
            spec.job.misfire = MisfirePolicy(catchUpWindow: window, mode: mode)
        }
        if let timeout = try fields.duration("timeout") {
            guard timeout > .zero else { throw .invalid(fields.name("timeout"), "must be longer than zero") }
            spec.job.timeout = timeout
        }
        spec.job.maxRuns = try fields.integer("maxRuns", in: 1...Int(Int32.max))
        spec.job.priority = try fields.integer("priority", in: Int(Int32.min)...Int(Int32.max)) ?? 0
        spec.jitter = try fields.duration("jitter")
        spec.retry = try RetrySpec.parse(&fields)
        try fields.finish()
        return spec
    }

    /// The options as the API writes them.
    static func render(_ options: JobOptions, jitter: Duration?, retry: RetrySpec?) -> JSONValue {
        var object: [String: JSONValue] = ["priority": .integer(options.priority)]
        let overlap = options.overlap ?? .skip
        object["overlap"] = .string(overlap.name)
        if let limit = overlap.limit { object["overlapLimit"] = .integer(limit) }
        if let misfire = options.misfire {
            var rendered: [String: JSONValue] = ["mode": .string(misfire.mode.rawValue)]
            if let window = misfire.catchUpWindow { rendered["catchUpWindow"] = .string(DurationText.format(window)) }
            object["misfire"] = .object(rendered)
        }
        if let timeout = options.timeout { object["timeout"] = .string(DurationText.format(timeout)) }
        if let maxRuns = options.maxRuns { object["maxRuns"] = .integer(maxRuns) }
        if let jitter { object["jitter"] = .string(DurationText.format(jitter)) }
        if let retry { object["retry"] = retry.rendered }
        return .object(object)
    }
}
