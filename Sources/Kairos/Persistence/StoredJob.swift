import Foundation

/// A job as a durable store keeps it: its declaration (key, name, function, arguments, trigger,
/// options), where it is in its life, its counters and its due dates. What a
/// ``DurableJobScheduler`` reports, whichever store it uses.
public struct StoredJob: Sendable, Hashable {
    /// The job's ID, stable across restarts (and, in a cluster store, across nodes).
    public var id: JobID
    /// The stable key the job was declared under, if any.
    public var key: String?
    /// The job's name.
    public var name: String
    /// The registered function that runs the job.
    public var function: String
    /// The arguments passed to the function on every run.
    public var arguments: JSONValue
    /// The job's trigger as data.
    public var trigger: TriggerDescription
    /// The job's options.
    public var options: JobOptions
    /// Where the job is in its life.
    public var status: JobStatus
    /// What has happened to the job so far.
    public var counters: JobCounters
    /// The next due date, if any.
    public var nextDueDate: Date?
    /// The due date of the latest run started, if any.
    public var lastDueDate: Date?

    /// Creates a stored job's description; see each property.
    public init(
        id: JobID, key: String? = nil, name: String, function: String, arguments: JSONValue = nil,
        trigger: TriggerDescription, options: JobOptions = JobOptions(), status: JobStatus,
        counters: JobCounters = JobCounters(), nextDueDate: Date? = nil, lastDueDate: Date? = nil
    ) {
        self.id = id
        self.key = key
        self.name = name
        self.function = function
        self.arguments = arguments
        self.trigger = trigger
        self.options = options
        self.status = status
        self.counters = counters
        self.nextDueDate = nextDueDate
        self.lastDueDate = lastDueDate
    }
}
