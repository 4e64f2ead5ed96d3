import Foundation

/// A job's due date inside the scheduler (its next one, its last one), or none: seconds since the
/// reference date in one `Double`, NaN standing for none.
///
/// A `Double?` would take 9 bytes and pad the job record by 8; this keeps the record's layout
/// while the type says where "no date" is possible: ``value`` and ``date`` give `nil` for it, and
/// only a caller that knows the date is set (a queued job's next due date) reads ``seconds``.
struct DueInstant: Equatable {
    /// Seconds since the reference date; NaN for ``none``.
    private(set) var seconds: Double

    /// No date.
    static let none = DueInstant(unchecked: .nan)

    /// The instant `seconds` after the reference date.
    init(_ seconds: Double) {
        assert(!seconds.isNaN, "a due instant from NaN")
        self.seconds = seconds
    }

    /// The instant `seconds` after the reference date, or ``none`` for `nil`.
    init(_ seconds: Double?) {
        self.seconds = seconds ?? .nan
    }

    private init(unchecked seconds: Double) { self.seconds = seconds }

    var isNone: Bool { seconds.isNaN }

    /// The seconds, `nil` for ``none``.
    var value: Double? { seconds.isNaN ? nil : seconds }

    /// The instant as a `Date`, `nil` for ``none``.
    var date: Date? { seconds.isNaN ? nil : Date(timeIntervalSinceReferenceDate: seconds) }

    /// The instant `offset` seconds later; ``none`` if this is none or `offset` is NaN (a
    /// single-precision offset the record has not measured yet).
    func advanced(by offset: Double) -> DueInstant { DueInstant(unchecked: seconds + offset) }

    /// Equal dates, or both none (unlike the `Double`s, whose NaNs differ).
    static func == (lhs: DueInstant, rhs: DueInstant) -> Bool {
        lhs.seconds == rhs.seconds || (lhs.isNone && rhs.isNone)
    }
}
