/// The value of a pipeline input or stage output that carries nothing, standing in for `Void`
/// (which cannot be `Codable`).
///
/// ``JobPipeline/init(name:clock:signals:failurePolicy:)`` builds a `JobPipeline<NoValue, NoValue>`,
/// started with ``JobPipeline/start()``; a stage whose jobs return `Void` outputs `NoValue`.
public struct NoValue: Sendable, Hashable, Codable {
    /// The only value.
    public init() {}
}
