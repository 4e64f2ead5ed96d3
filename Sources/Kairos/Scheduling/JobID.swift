/// The identity of a scheduled job: unique within one scheduler and, under
/// `PersistentScheduler`, stable across restarts.
public struct JobID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The number that identifies the job.
    public let rawValue: UInt64

    /// Wraps a raw job number.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders jobs by creation.
    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The decimal job number, as used in idempotency keys (`"42@2026-03-08T07:00:00Z"`).
    public var description: String { String(rawValue) }

    /// Encodes as a bare number.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt64.self)
    }

    /// Encodes as a bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
