import Foundation

/// Fires each time a signal with its key is sent to the scheduler.
///
/// ```swift
/// let id = try scheduler.schedule(name: "reindex", trigger: SignalTrigger(key: "catalog.changed")) { context in
///     try reindex(context.payload)
/// }
/// scheduler.send(signal: "catalog.changed", payload: ["sku": "A-17"])   // runs the job once
/// ```
///
/// The run's due date is the instant of the send, and its ``JobContext/payload`` is the signal's
/// payload. Signals that arrive while the job or the scheduler is paused or stopped are counted as
/// missed and dropped; signals that arrive while a run is going are handled by the job's overlap
/// policy like any fire. As a time trigger, it never fires: ``nextFireDate(after:)`` is `nil`.
public struct SignalTrigger: Trigger, Hashable, Codable {
    /// The signal key the job listens to.
    public var key: String

    /// Creates a trigger for signals sent with `key`.
    public init(key: String) { self.key = key }

    /// Always `nil`: a signal trigger has no time schedule.
    public func nextFireDate(after: Date) -> Date? { nil }
}

/// Never fires on its own: the job runs only when ``Scheduler/runNow(_:)`` is called.
///
/// Used for jobs that something else decides to start, such as the nodes of a
/// `DependencyScheduler` graph. A job with a manual trigger stays `pending` until cancelled.
public struct ManualTrigger: Trigger, Hashable, Codable {
    /// Creates a manual trigger.
    public init() {}

    /// Always `nil`.
    public func nextFireDate(after: Date) -> Date? { nil }
}
