import Foundation

/// A trigger was given parameters it cannot work with.
///
/// Thrown by the initializers of the built-in triggers and by
/// ``TriggerDescription/makeTrigger()``; the ``description`` names the parameter and the value.
public struct TriggerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The parameter that was rejected (`"every"`, `"repeatCount"`, `"timeZone"`, ...).
    public var parameter: String
    /// Why it was rejected, in words a user can act on.
    public var reason: String

    /// Describes a rejected trigger parameter.
    public init(parameter: String, reason: String) {
        self.parameter = parameter
        self.reason = reason
    }

    /// `invalid trigger parameter 'every': must be a positive, finite duration (got -5.0 s)`.
    public var description: String { "invalid trigger parameter '\(parameter)': \(reason)" }
}

extension TriggerError {
    /// Throws for an `until` date before the `startingAt` date: a trigger bounded so never fires.
    static func checkBounds(start: Date?, end: Date?) throws(TriggerError) {
        if let start, let end, end < start {
            throw TriggerError(parameter: "until", reason: "\(end) is before the start \(start)")
        }
    }
}

extension TriggerError {
    /// The value `make` returns, with a ``TriggerError`` it throws turned into a
    /// `DecodingError.dataCorrupted` at the decoder's coding path: a decoded trigger is checked
    /// as one built in code, and the error says which parameter and where.
    static func rethrowingAsDecodingError<T>(in decoder: any Decoder, _ make: () throws -> T) throws -> T {
        do {
            return try make()
        } catch let error as TriggerError {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: error.description,
                    underlyingError: error))
        }
    }
}

extension Duration {
    /// The duration in seconds, as `TimeInterval`.
    package var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// `seconds` as a duration, clamped to the range a `Duration` holds (about ±2^63 s; NaN is
    /// zero), so that no stored or computed number of seconds can trap on the way out of the API.
    package init(timeInterval seconds: TimeInterval) {
        if seconds.isNaN {
            self = .zero
        } else if seconds >= 9.2e18 {
            self = .seconds(Int64.max)
        } else if seconds <= -9.2e18 {
            self = .seconds(Int64.min)
        } else {
            self = .seconds(seconds)
        }
    }
}
