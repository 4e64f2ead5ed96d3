import Foundation
import Kairos

/// How a shell or webhook action retries a failed attempt within one run: up to `maxAttempts`
/// attempts in all, `delay` apart (on the scheduler's clock). A timeout ends the run, retries
/// included.
struct RetrySpec: Sendable, Hashable {
    static let attemptLimit = 20

    var maxAttempts: Int
    var delay: Duration

    static func parse(_ fields: inout JSONFields) throws(Problem) -> RetrySpec? {
        guard var retry = try fields.object("retry") else { return nil }
        let attempts = try retry.integer("maxAttempts", in: 1...attemptLimit) ?? 3
        let delay = try retry.duration("delay") ?? .zero
        try retry.finish()
        return RetrySpec(maxAttempts: attempts, delay: delay)
    }

    init(maxAttempts: Int, delay: Duration) {
        self.maxAttempts = maxAttempts
        self.delay = delay
    }

    /// Reads the stored form (written by ``json``); a missing or damaged one means no retry.
    init?(stored value: JSONValue?) {
        guard let attempts = value?[member: "maxAttempts"]?.integerValue else { return nil }
        let milliseconds = value?[member: "delayMilliseconds"]?.integerValue ?? 0
        self.init(maxAttempts: max(1, min(attempts, Self.attemptLimit)), delay: .milliseconds(max(0, milliseconds)))
    }

    /// The stored form, inside the action's arguments.
    var json: JSONValue {
        ["maxAttempts": .integer(maxAttempts), "delayMilliseconds": .integer(Int((delay.inSeconds * 1000).rounded()))]
    }

    /// The API form.
    var rendered: JSONValue {
        ["maxAttempts": .integer(maxAttempts), "delay": .string(DurationText.format(delay))]
    }
}
