import Crypto
import Foundation
import Kairos

/// A schedule as the API shows it: its declaration (name, trigger, action, options), its state
/// and counters, its next fire times, and the `ETag` of its declaration.
struct ScheduleResource {
    var id: String
    var declaration: ScheduleDeclaration
    /// `nil` for a job stored but not running here (its function is not registered).
    var state: ScheduleState?
    var note: String?
    var nextFireTimes: [Date]

    /// The part an update can change, and what the `ETag` is a digest of.
    var definition: JSONValue {
        let action = ActionSpec(function: declaration.function, arguments: declaration.arguments)
        var object: [String: JSONValue] = ["name": .string(declaration.name), "action": action.rendered]
        if let state {
            let (trigger, jitter) = TriggerSpec.render(state.trigger)
            object["trigger"] = trigger
            object["options"] = ScheduleOptionsSpec.render(
                state.options, jitter: jitter, retry: RetrySpec(stored: declaration.arguments[member: "retry"]))
            object["paused"] = .bool(state.isPaused)
        }
        return .object(object)
    }

    /// A strong validator of the declaration: it changes when an update or a pause changes the
    /// schedule, not when the schedule merely runs.
    var etag: String { Self.etag(of: definition) }

    private static func etag(of definition: JSONValue) -> String {
        "\"" + SHA256.hash(data: JSONResponse.encode(definition)).prefix(12).hexadecimal + "\""
    }

    var status: String {
        guard let state else { return "unrestored" }
        return state.status.rawValue
    }

    /// The schedule as the API shows it.
    var json: JSONValue { rendered.json }

    /// ``json`` and ``etag``, with the definition made and encoded once for both.
    var rendered: (json: JSONValue, etag: String) {
        let definition = self.definition
        let etag = Self.etag(of: definition)
        guard case .object(var object) = definition else { return (definition, etag) }
        object["id"] = .string(id)
        object["status"] = .string(status)
        object["etag"] = .string(etag)
        object["pauseNote"] = note.map { .string($0) } ?? .null
        object["nextFireTimes"] = .array(nextFireTimes.map { JSONValue($0) })
        guard let state else { return (.object(object), etag) }
        let counters = state.counters
        object["jobID"] = .string(state.jobID.description)
        object["counters"] = [
            "runs": .integer(counters.runs), "failures": .integer(counters.failures), "timeouts": .integer(counters.timeouts),
            "missed": .integer(counters.missed), "overlapSkipped": .integer(counters.overlapSkipped),
            "bufferDropped": .integer(counters.bufferDropped),
        ]
        object["activeRuns"] = .integer(state.activeRuns)
        object["lastDueDate"] = JSONValue(state.lastDueDate)
        object["lastStartDate"] = JSONValue(state.lastStartDate)
        object["lastOutcome"] = state.lastOutcome.map { .string($0.rawValue) } ?? .null
        object["lastError"] = state.lastError.map { .string($0) } ?? .null
        return (.object(object), etag)
    }
}

extension Sequence<UInt8> {
    /// The bytes in lowercase hexadecimal, two digits each.
    var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension RunRecord {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "schedule": .string(schedule), "jobID": .string(String(jobID)), "dueDate": JSONValue(dueDate),
            "startedAt": JSONValue(startedAt), "endedAt": JSONValue(endedAt), "outcome": .string(outcome.rawValue),
        ]
        object["attempt"] = attempt.map { .integer($0) } ?? .null
        object["exitStatus"] = exitStatus.map { .integer($0) } ?? .null
        object["httpStatus"] = httpStatus.map { .integer($0) } ?? .null
        object["error"] = error.map { .string($0) } ?? .null
        object["outputTail"] = outputTail.map { .string($0) } ?? .null
        return .object(object)
    }
}
