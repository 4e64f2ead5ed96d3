import Foundation
import Kairos

/// Durations as the API writes them: `"20m"`, `"1h30m"`, `"90s"`, `"250ms"`, `"2d"` (units
/// `d`, `h`, `m`, `s`, `ms`, largest first), or a JSON number of seconds.
enum DurationText {
    /// The longest duration accepted: 100 years, far beyond any schedule and far from overflow.
    static let maximumSeconds: Double = 100 * 365 * 86_400

    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    static func parse(_ value: JSONValue, field: String) throws(Problem) -> Duration {
        switch value {
        case .integer(let seconds): return try checked(Double(seconds), field: field, text: String(seconds))
        case .number(let seconds): return try checked(seconds, field: field, text: String(seconds))
        case .string(let text): return try parse(text, field: field)
        default: throw .invalid(field, "must be a duration such as \"20m\" or a number of seconds (got \(JSONFields.kind(of: value)))")
        }
    }

    static func parse(_ text: String, field: String) throws(Problem) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("-") { throw .invalid(field, "must not be negative (got \"\(text)\")") }
        var rest = Substring(trimmed)
        var seconds = 0.0
        var previousRank = -1
        guard !rest.isEmpty else { throw .invalid(field, "is empty; write a duration such as \"20m\"") }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let amount = Double(digits) else {
                throw .invalid(field, "\"\(text)\" is not a duration: expected a number at \"\(rest)\" (write \"20m\", \"1h30m\", \"90s\", \"250ms\")")
            }
            rest = rest.dropFirst(digits.count)
            guard let rank = units.firstIndex(where: { rest.hasPrefix($0.suffix) }) else {
                throw .invalid(field, "\"\(text)\" is not a duration: \"\(digits)\" needs a unit, one of d, h, m, s, ms")
            }
            let order = [4, 0, 1, 2, 3][rank]  // d h m s ms, in the order they must appear
            guard order > previousRank else {
                throw .invalid(field, "\"\(text)\" is not a duration: write its units once each, largest first")
            }
            previousRank = order
            seconds += amount * units[rank].seconds
            rest = rest.dropFirst(units[rank].suffix.count)
        }
        return try checked(seconds, field: field, text: text)
    }

    private static func checked(_ seconds: Double, field: String, text: String) throws(Problem) -> Duration {
        guard seconds.isFinite else { throw .invalid(field, "\"\(text)\" is not a finite duration") }
        guard seconds >= 0 else { throw .invalid(field, "must not be negative (got \(text))") }
        guard seconds <= maximumSeconds else { throw .invalid(field, "is longer than 100 years (got \(text))") }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The duration in the API's own form (`"1h30m"`, `"250ms"`, `"0s"`).
    static func format(_ duration: Duration) -> String {
        var milliseconds = Int64((Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15).rounded())
        if milliseconds == 0 { return "0s" }
        var text = ""
        for (suffix, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] where milliseconds >= size {
            text += "\(milliseconds / size)\(suffix)"
            milliseconds %= size
        }
        return text
    }
}
