/// What happens when a job comes due while its previous run has not finished.
///
/// A run counts as "not finished" from the moment it is fired (it may still be waiting for executor
/// capacity) until its body returns.
///
/// New policies may be added in later versions: a `switch` over a policy matches the static
/// members (`case .skip:`, `case .bufferAll(limit: 4):`) and needs a `default:` case.
public struct OverlapPolicy: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The policies there are; the scheduler switches over them exhaustively.
    package enum Kind: Sendable, Hashable {
        case skip
        case bufferOne
        case bufferAll(limit: Int)
        case cancelOther
        case allowAll(limit: Int)
    }

    /// Which policy this is.
    package let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// Drop the new fire and count it in ``JobCounters/overlapSkipped`` (the default).
    public static let skip = OverlapPolicy(.skip)
    /// Keep the newest fire and run it when the current run finishes; an older buffered fire is
    /// replaced and counted in ``JobCounters/bufferDropped``.
    public static let bufferOne = OverlapPolicy(.bufferOne)
    /// Queue fires (oldest first) and run them one after another; beyond `limit` queued fires the
    /// new fire is dropped and counted in ``JobCounters/bufferDropped``. `limit` must be at least 1
    /// (``SchedulerError/invalidOption(option:reason:)`` when the job is scheduled).
    public static func bufferAll(limit: Int) -> OverlapPolicy { OverlapPolicy(.bufferAll(limit: limit)) }
    /// Cancel the running run (Swift task cancellation, cooperative) and start the new one; the new
    /// run starts only once the cancelled one has returned.
    public static let cancelOther = OverlapPolicy(.cancelOther)
    /// Run concurrently, up to `limit` runs of this job at once; beyond that the fire is skipped and
    /// counted in ``JobCounters/overlapSkipped``. `limit` must be from 1 to 65,535
    /// (``SchedulerError/invalidOption(option:reason:)`` when the job is scheduled).
    public static func allowAll(limit: Int) -> OverlapPolicy { OverlapPolicy(.allowAll(limit: limit)) }

    /// The limit of ``bufferAll(limit:)`` and ``allowAll(limit:)``; `nil` for the other policies.
    public var limit: Int? {
        switch kind {
        case .bufferAll(let limit), .allowAll(let limit): limit
        case .skip, .bufferOne, .cancelOther: nil
        }
    }

    /// The policy's name as in the source (`skip`, `bufferOne`, `bufferAll`, `cancelOther`,
    /// `allowAll`): the `kind` of the stored forms.
    public var name: String {
        switch kind {
        case .skip: "skip"
        case .bufferOne: "bufferOne"
        case .bufferAll: "bufferAll"
        case .cancelOther: "cancelOther"
        case .allowAll: "allowAll"
        }
    }

    /// The policy as written in Swift, such as `bufferAll(limit: 4)`.
    public var description: String { limit.map { "\(name)(limit: \($0))" } ?? name }

    /// The policy named `name` (see ``name``), with `limit` for the two that take one; `nil` for
    /// an unknown name or a missing limit.
    public init?(name: String, limit: Int? = nil) {
        switch (name, limit) {
        case ("skip", _): self = .skip
        case ("bufferOne", _): self = .bufferOne
        case ("bufferAll", let limit?): self = .bufferAll(limit: limit)
        case ("cancelOther", _): self = .cancelOther
        case ("allowAll", let limit?): self = .allowAll(limit: limit)
        default: return nil
        }
    }

    // The coded form of the enum this type replaces (`{"bufferAll": {"limit": 4}}`), so that
    // stored options still decode.
    private struct NameKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes the coded form of ``encode(to:)``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath, debugDescription: "an overlap policy is an object with one key, its name"))
        }
        let arguments = try container.nestedContainer(keyedBy: NameKey.self, forKey: key)
        let limit = try arguments.decodeIfPresent(Int.self, forKey: NameKey(stringValue: "limit"))
        guard let policy = OverlapPolicy(name: key.stringValue, limit: limit) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "unknown overlap policy \"\(key.stringValue)\" or missing limit")
        }
        self = policy
    }

    /// Encodes the policy as an object with one key, its ``name``, whose value holds its `limit`
    /// if it has one.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        var arguments = container.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(stringValue: name))
        if let limit { try arguments.encode(limit, forKey: NameKey(stringValue: "limit")) }
    }
}
