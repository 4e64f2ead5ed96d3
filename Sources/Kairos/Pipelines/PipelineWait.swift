import Foundation

/// What a waiting pipeline run waits for.
public enum PipelineWait: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The run resumes when the pipeline's clock reaches this date.
    case date(Date)
    /// The run resumes when a signal with this key is sent to the pipeline's ``SignalHub``
    /// (``JobPipeline/send(signal:payload:)`` or the scheduler's `send(signal:payload:)`).
    case signal(String)

    /// The coded names of the cases: `signal` keeps the name `event` it was stored under.
    private enum CodingKeys: String, CodingKey {
        case date, signal = "event"
    }

    /// `until 2026-01-01T00:00:00Z` or `signal "approved"`.
    public var description: String {
        switch self {
        case .date(let date): "until \(date.formatted(.iso8601))"
        case .signal(let key): "signal \"\(key)\""
        }
    }
}
