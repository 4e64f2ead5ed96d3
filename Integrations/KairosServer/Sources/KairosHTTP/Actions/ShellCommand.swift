import Foundation
import Kairos

/// A shell action: `/bin/sh -c command` in its own process group, with extra environment
/// variables and a working directory.
struct ShellCommand: Sendable, Hashable {
    /// The longest command accepted, in bytes.
    static let maximumLength = 64 * 1024

    var command: String
    var environment: [String: String]
    var workingDirectory: String?

    static func parse(_ fields: inout JSONFields) throws(Problem) -> ShellCommand {
        let command = try fields.requiredString("command")
        if command.trimmingCharacters(in: .whitespaces).isEmpty { throw .invalid(fields.name("command"), "is empty") }
        if command.utf8.count > maximumLength { throw .invalid(fields.name("command"), "is longer than \(maximumLength) bytes") }
        if command.contains("\0") { throw .invalid(fields.name("command"), "contains a NUL character") }
        let environment = try fields.stringMap("environment")
        for (name, value) in environment {
            if name.isEmpty || name.contains("=") || name.contains("\0") || value.contains("\0") {
                throw .invalid(fields.name("environment.\(name)"), "is not a valid environment variable (no \"=\" or NUL in the name, no NUL in the value)")
            }
        }
        let directory = try fields.string("workingDirectory")
        if let directory, !directory.hasPrefix("/") || directory.contains("\0") {
            throw .invalid(fields.name("workingDirectory"), "must be an absolute path")
        }
        return ShellCommand(command: command, environment: environment, workingDirectory: directory)
    }

    init(command: String, environment: [String: String], workingDirectory: String?) {
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    init(stored value: JSONValue) {
        command = value[member: "command"]?.stringValue ?? ""
        environment = value[member: "environment"]?.stringMembers ?? [:]
        workingDirectory = value[member: "workingDirectory"]?.stringValue
    }

    var stored: [String: JSONValue] {
        var object: [String: JSONValue] = ["command": .string(command)]
        if !environment.isEmpty { object["environment"] = .object(environment.mapValues { .string($0) }) }
        if let workingDirectory { object["workingDirectory"] = .string(workingDirectory) }
        return object
    }

    var rendered: JSONValue {
        var object = stored
        object["type"] = "shell"
        object["environment"] = .object(environment.mapValues { .string($0) })
        return .object(object)
    }
}
