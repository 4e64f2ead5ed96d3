import Foundation

/// Decides when a job is due.
///
/// A trigger is a pure function of time: given the instant after which to look, it returns the
/// next due date, or `nil` once it will never fire again. The scheduler calls it after each fire
/// with the due date it just fired for (not the time the run finished), so a trigger never drifts
/// because a run was slow.
///
/// Implement it for schedules Kairos does not ship:
///
/// ```swift
/// struct EveryFullMoon: Trigger {
///     func nextFireDate(after date: Date) -> Date? { Moon.nextFull(after: date) }
/// }
/// ```
public protocol Trigger: Sendable {
    /// The first due date strictly later than `date`, or `nil` if the trigger is exhausted.
    func nextFireDate(after date: Date) -> Date?
}
