import Foundation

/// The identity of one run of a ``JobPipeline``: unique, and stable across a restart when the
/// run is resumed from its ``PipelineCheckpoint``.
///
/// It is also the `id` of the ``SignalWaiter`` a waiting run registers, so the caller of
/// `send(signal:payload:)` can tell which run a signal resumed.
public struct PipelineRunID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The identifier's text (a UUID unless the caller chose one).
    public let rawValue: String

    /// Wraps an identifier chosen by the caller (for example a persisted one).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new random identifier.
    public init() { rawValue = UUID().uuidString.lowercased() }

    /// Orders identifiers by their text.
    public static func < (lhs: PipelineRunID, rhs: PipelineRunID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The identifier's text.
    public var description: String { rawValue }

    /// Decodes a bare string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
