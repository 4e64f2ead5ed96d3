/// Something that waits for a named event: an event-triggered job or a waiting pipeline run.
///
/// ``EventHub/post(_:payload:)`` returns the waiters it resumed, so that the caller of
/// `post(event:payload:)` learns what the event did.
public struct EventWaiter: Sendable, Hashable, CustomStringConvertible {
    /// What kind of thing waits.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A job with an event trigger.
        case job
        /// A pipeline run paused at a wait-for-event step.
        case pipelineRun
    }

    /// What kind of thing waits.
    public var kind: Kind
    /// The waiter's identity within its kind (a job ID or a pipeline run ID).
    public var id: String
    /// A human-readable name (the job's or pipeline's name).
    public var name: String

    /// Describes a waiter.
    public init(kind: Kind, id: String, name: String) {
        self.kind = kind
        self.id = id
        self.name = name
    }

    /// `job 42 (nightly-report)`.
    public var description: String { "\(kind.rawValue) \(id) (\(name))" }
}
