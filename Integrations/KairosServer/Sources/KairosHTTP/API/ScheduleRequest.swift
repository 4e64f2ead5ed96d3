import Foundation
import Kairos

/// A schedule as a create or update request declares it, checked field by field.
struct ScheduleRequest: Sendable {
    /// The longest schedule name accepted, in bytes.
    static let maximumNameLength = 200

    var name: String
    var trigger: any Trigger
    var action: ActionSpec
    var options: ScheduleOptionsSpec
    var paused: Bool

    /// Reads a create request; `now` is the scheduler clock's time.
    static func create(_ body: JSONValue, now: Date, allowedWebhookHosts: Set<String>?) throws(Problem) -> ScheduleRequest {
        var fields = try JSONFields(body, path: "")
        guard let trigger = try fields.value("trigger") else { throw .invalid("trigger", "is required") }
        guard let action = try fields.value("action") else { throw .invalid("action", "is required") }
        let request = ScheduleRequest(
            name: try checkName(try fields.requiredString("name")),
            trigger: try TriggerSpec.parse(trigger, field: "trigger", now: now),
            action: try ActionSpec.parse(action, field: "action", allowedWebhookHosts: allowedWebhookHosts),
            options: try ScheduleOptionsSpec.parse(try fields.value("options"), field: "options"),
            paused: try fields.bool("paused") ?? false)
        try fields.finish()
        try request.check()
        return request
    }

    /// Applies an update request (`name`, `trigger`, `action`, `options`; each replaces the
    /// current one whole) to the current declaration.
    mutating func update(with body: JSONValue, now: Date, allowedWebhookHosts: Set<String>?) throws(Problem) {
        var fields = try JSONFields(body, path: "")
        if let name = try fields.string("name") { self.name = try Self.checkName(name) }
        if let trigger = try fields.value("trigger") { self.trigger = try TriggerSpec.parse(trigger, field: "trigger", now: now) }
        if let action = try fields.value("action") {
            self.action = try ActionSpec.parse(action, field: "action", allowedWebhookHosts: allowedWebhookHosts)
        }
        if let options = try fields.value("options") { self.options = try ScheduleOptionsSpec.parse(options, field: "options") }
        try fields.finish()
        try check()
    }

    private static func checkName(_ name: String) throws(Problem) -> String {
        if name.isEmpty { throw .invalid("name", "is empty") }
        if name.utf8.count > maximumNameLength { throw .invalid("name", "is longer than \(maximumNameLength) bytes") }
        return name
    }

    private func check() throws(Problem) {
        if options.retry != nil, case .function = action {
            throw .invalid("options.retry", "retries are for shell and webhook actions; a function action retries itself")
        }
    }

    /// The trigger the job gets: the request's, jittered if asked.
    func jobTrigger() throws(Problem) -> any Trigger {
        guard let jitter = options.jitter, jitter > .zero else { return trigger }
        do {
            return try JitteredTrigger(trigger, maxJitter: jitter)
        } catch {
            throw .invalid("options.jitter", error.reason)
        }
    }

    var jobOptions: JobOptions {
        var job = options.job
        job.startPaused = paused
        return job
    }
}

extension ScheduleRequest {
    /// The current declaration of a stored schedule, as an update starts from.
    init(declaration: ScheduleDeclaration, state: ScheduleState) throws(Problem) {
        let action = ActionSpec(function: declaration.function, arguments: declaration.arguments)
        guard var description = state.trigger else {
            throw .conflict("the schedule's trigger is a custom one, which the API cannot change")
        }
        var options = ScheduleOptionsSpec(job: state.options)
        if case let .jittered(base, maxJitter) = description {
            description = base
            options.jitter = .milliseconds(Int64((maxJitter * 1000).rounded()))
        }
        let trigger: any Trigger
        do {
            trigger = try description.makeTrigger()
        } catch {
            throw .conflict("the schedule's stored trigger cannot be read back: \(error)")
        }
        options.retry = RetrySpec(stored: declaration.arguments[member: "retry"])
        options.job.startPaused = false
        self.init(name: declaration.name, trigger: trigger, action: action, options: options, paused: state.isPaused)
    }
}
