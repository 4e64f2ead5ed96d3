import Foundation

/// Fires each time an event with its key is posted to the scheduler.
///
/// ```swift
/// let id = try scheduler.schedule(name: "reindex", trigger: EventTrigger(key: "catalog.changed")) { context in
///     try reindex(context.payload)
/// }
/// scheduler.post(event: "catalog.changed", payload: ["sku": "A-17"])   // runs the job once
/// ```
///
/// The run's due date is the instant of the post, and its ``JobContext/payload`` is the event's
/// payload. Events that arrive while the job or the scheduler is paused or stopped are counted as
/// missed and dropped; events that arrive while a run is going are handled by the job's overlap
/// policy like any fire. As a time trigger, it never fires: ``nextFireDate(after:)`` is `nil`.
public struct EventTrigger: Trigger, Hashable, Codable {
    /// The event key the job listens to.
    public var key: String

    /// Creates a trigger for events posted with `key`.
    public init(key: String) { self.key = key }

    /// Always `nil`: an event trigger has no time schedule.
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
