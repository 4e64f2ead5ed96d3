import Foundation
import Kairos

/// Something that happened to a backend's job, as the API streams it (`GET /v1/events`), counts
/// it (`/metrics`) and records its runs.
public struct ScheduleEvent: Sendable {
    /// What happened.
    public var kind: SchedulerEvent.Kind
    /// The job it happened to.
    public var jobID: JobID
    /// The job's name.
    public var jobName: String
    /// The due date of the run concerned, if any.
    public var dueDate: Date?
    /// When it happened.
    public var date: Date
    /// How long the run took, for a run's end.
    public var duration: Duration?
    /// Why the run failed.
    public var error: String?
    /// How many due dates (`missed`, `overlapSkipped`, `bufferDropped`); 1 otherwise.
    public var count: Int

    /// Creates an event; see each property.
    public init(
        kind: SchedulerEvent.Kind, jobID: JobID, jobName: String, dueDate: Date? = nil, date: Date,
        duration: Duration? = nil, error: String? = nil, count: Int = 1
    ) {
        self.kind = kind
        self.jobID = jobID
        self.jobName = jobName
        self.dueDate = dueDate
        self.date = date
        self.duration = duration
        self.error = error
        self.count = count
    }

    /// The event of a Kairos scheduler.
    public init(_ event: SchedulerEvent) {
        self.init(
            kind: event.kind, jobID: event.jobID, jobName: event.jobName, dueDate: event.dueDate, date: event.date,
            duration: event.duration, error: event.error.map { String(describing: $0) }, count: event.count)
    }
}

/// A handler added with ``ScheduleBackend/onEvent(_:)``; ``cancel()`` removes it.
public struct ScheduleEventSubscription: Sendable {
    private let remove: @Sendable () -> Void

    /// A subscription that calls `remove` when cancelled.
    public init(remove: @escaping @Sendable () -> Void) {
        self.remove = remove
    }

    /// Removes the handler: it is not called for events after this returns.
    public func cancel() { remove() }
}
