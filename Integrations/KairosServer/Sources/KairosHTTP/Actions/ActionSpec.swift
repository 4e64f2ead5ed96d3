import Foundation
import Kairos

/// What a schedule runs: a shell command, an HTTP webhook, or a Swift function registered on the
/// backend. Stored as the job's function and arguments, so the state file holds it.
///
/// ```json
/// {"type": "shell", "command": "pg_dump app > /backups/app.sql", "environment": {"PGHOST": "db"},
///  "workingDirectory": "/srv"}
/// {"type": "webhook", "method": "POST", "url": "https://hooks.example.com/report",
///  "headers": {"X-Team": "ops"}, "body": {"report": "daily"}, "timeout": "30s"}
/// {"type": "function", "name": "report.send", "arguments": {"to": "ops@example.com"}}
/// ```
enum ActionSpec: Sendable, Hashable {
    case shell(ShellCommand)
    case webhook(WebhookRequest)
    case function(name: String, arguments: JSONValue)

    /// The function names the server registers for its own actions; a function action may not
    /// use them.
    static let shellFunction = "kairos.shell"
    static let webhookFunction = "kairos.webhook"
    static let reservedPrefix = "kairos."

    static func parse(_ value: JSONValue, field: String, allowedWebhookHosts: Set<String>?) throws(Problem) -> ActionSpec {
        var fields = try JSONFields(value, path: field)
        let type = try fields.requiredString("type")
        let action: ActionSpec
        switch type {
        case "shell":
            action = .shell(try ShellCommand.parse(&fields))
        case "webhook":
            action = .webhook(try WebhookRequest.parse(&fields, allowedHosts: allowedWebhookHosts))
        case "function":
            let name = try fields.requiredString("name")
            if name.isEmpty || name.hasPrefix(reservedPrefix) {
                throw .invalid(fields.name("name"), "\"\(name)\" is not a function name (names starting with \"kairos.\" are the server's own)")
            }
            action = .function(name: name, arguments: fields.anyValue("arguments") ?? .null)
        default:
            throw .invalid(fields.name("type"), "\"\(type)\" is not an action type; use one of shell, webhook, function")
        }
        try fields.finish()
        return action
    }

    /// The job function that runs the action.
    var function: String {
        switch self {
        case .shell: Self.shellFunction
        case .webhook: Self.webhookFunction
        case .function(let name, _): name
        }
    }

    /// The job arguments that store the action and its retry policy.
    func arguments(retry: RetrySpec?) -> JSONValue {
        var stored: [String: JSONValue]
        switch self {
        case .shell(let command): stored = command.stored
        case .webhook(let request): stored = request.stored
        case .function(_, let arguments): return arguments
        }
        if let retry { stored["retry"] = retry.json }
        return .object(stored)
    }

    /// Reads the action back from a job's declaration.
    init(function: String, arguments: JSONValue) {
        switch function {
        case Self.shellFunction: self = .shell(ShellCommand(stored: arguments))
        case Self.webhookFunction: self = .webhook(WebhookRequest(stored: arguments))
        default: self = .function(name: function, arguments: arguments)
        }
    }

    /// The action as the API writes it.
    var rendered: JSONValue {
        switch self {
        case .shell(let command): command.rendered
        case .webhook(let request): request.rendered
        case .function(let name, let arguments): ["type": "function", "name": .string(name), "arguments": arguments]
        }
    }
}

extension JSONValue {
    /// The string members of an object value (others are skipped).
    var stringMembers: [String: String] {
        guard case .object(let members) = self else { return [:] }
        return members.compactMapValues { if case .string(let text) = $0 { text } else { nil } }
    }

    /// A member of an object value.
    subscript(member key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// The value as a whole number, if it is one.
    var integerValue: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value.rounded() == value && abs(value) < 1e15: Int(value)
        default: nil
        }
    }

    /// The value as a string, if it is one.
    var stringValue: String? { if case .string(let text) = self { text } else { nil } }
}
