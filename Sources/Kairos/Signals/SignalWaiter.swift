/// Something that waits for a named signal: a signal-triggered job or a waiting pipeline run.
///
/// ``SignalHub/send(_:payload:)`` returns the waiters it reached, so that the caller of
/// `send(signal:payload:)` learns what the signal did.
public struct SignalWaiter: Sendable, Hashable, CustomStringConvertible {
    /// What kind of thing waits.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A job with a signal trigger.
        case job
        /// A pipeline run paused at a wait-for-signal step.
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
