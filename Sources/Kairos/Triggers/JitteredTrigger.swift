import Foundation

/// Another trigger with a random delay added to each fire, to spread load.
///
/// The delay for a fire is in `0 ..< maxJitter` and is a deterministic function of the job ID and
/// the fire's nominal due date (a SplitMix64 hash of both), so a restarted process computes the same
/// delay and the same job never fires twice for one due date. Different jobs on the same schedule
/// get different delays.
///
/// The nominal due date is what the job sees as ``JobContext/dueDate`` (and in its idempotency
/// key), what the base trigger's schedule continues from, and what misfire handling counts; only
/// the instant the run starts is delayed. ``nextFireDate(after:)`` returns nominal dates.
public struct JitteredTrigger: Trigger {
    /// The trigger whose fire dates are delayed.
    public var base: any Trigger
    /// The exclusive upper bound of the delay.
    public var maxJitter: Duration { Duration(timeInterval: maxJitterSeconds) }
    /// ``maxJitter`` in seconds, what the scheduler and the data form use.
    package let maxJitterSeconds: TimeInterval

    /// Wraps `base`, delaying each fire by up to `maxJitter`.
    ///
    /// - Throws: ``TriggerError`` if `maxJitter` is negative or not finite.
    public init(_ base: any Trigger, maxJitter: Duration) throws(TriggerError) {
        let seconds = maxJitter.timeInterval
        guard seconds >= 0, seconds.isFinite else {
            throw TriggerError(parameter: "maxJitter", reason: "must be a non-negative, finite duration (got \(seconds) s)")
        }
        self.base = base
        self.maxJitterSeconds = seconds
    }

    /// The base trigger's next nominal due date.
    public func nextFireDate(after: Date) -> Date? { base.nextFireDate(after: after) }

    /// The delay added to the fire of job `id` nominally due at `dueDate`: in `0 ..< maxJitter`,
    /// the same on every call and in every process.
    public func delay(for id: JobID, dueDate: Date) -> Duration {
        Duration(timeInterval: Self.delay(for: id, dueDate: dueDate, maxJitter: maxJitterSeconds))
    }

    static func delay(for id: JobID, dueDate: Date, maxJitter: TimeInterval) -> TimeInterval {
        guard maxJitter > 0 else { return 0 }
        var z = id.rawValue &* 0x9E37_79B9_7F4A_7C15 ^ dueDate.timeIntervalSinceReferenceDate.bitPattern
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * maxJitter
    }
}

extension Trigger {
    /// This trigger with each fire delayed by a deterministic amount in `0 ..< maxJitter`; see
    /// ``JitteredTrigger``.
    public func jittered(upTo maxJitter: Duration) throws(TriggerError) -> JitteredTrigger {
        try JitteredTrigger(self, maxJitter: maxJitter)
    }
}
