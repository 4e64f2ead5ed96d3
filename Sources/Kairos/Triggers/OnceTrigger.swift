import Foundation

/// Fires once, at a given instant.
///
/// ```swift
/// try scheduler.schedule(name: "reminder", trigger: OnceTrigger(at: deadline)) { _ in notify() }
/// ```
///
/// If the instant has already passed when the job is scheduled, the job is due at once and the
/// scheduler's misfire policy decides whether it still runs (by default it does).
public struct OnceTrigger: Trigger, Hashable, Codable {
    /// The instant at which the job is due.
    public var date: Date

    /// Creates a trigger that fires once at `date`.
    public init(at date: Date) { self.date = date }

    /// `date` if it is later than `after`, otherwise `nil`.
    public func nextFireDate(after: Date) -> Date? { date > after ? date : nil }
}
