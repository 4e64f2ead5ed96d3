import Foundation

/// What a waiting pipeline run waits for.
public enum PipelineWait: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The run resumes when the pipeline's clock reaches this date.
    case date(Date)
    /// The run resumes when an event with this key is posted to the pipeline's ``EventHub``
    /// (``JobPipeline/resume(event:payload:)`` or the scheduler's `post(event:payload:)`).
    case event(String)

    /// `until 2026-01-01T00:00:00Z` or `event "approved"`.
    public var description: String {
        switch self {
        case .date(let date): "until \(date.formatted(.iso8601))"
        case .event(let key): "event \"\(key)\""
        }
    }
}
