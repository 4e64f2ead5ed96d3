import Foundation

/// How often a failed job is tried again, and how long to wait between attempts: exponential
/// backoff with optional jitter.
///
/// The wait before attempt `n` (`n ≥ 2`) is `min(maxDelay, initialDelay × multiplier^(n−2))`,
/// then reduced by a random fraction of at most `jitter` (so `jitter: 0.2` gives a wait between
/// 80 % and 100 % of the computed one). Jitter never lengthens a wait, so `maxDelay` is a hard
/// upper bound. Waits go through the clock of whatever runs the job, so they take no real time
/// under `ManualClock`.
///
/// ```swift
/// let retry = try RetryPolicy(maxAttempts: 4, initialDelay: .seconds(2), multiplier: 3, jitter: 0.1)
/// // waits ≈ 2 s, 6 s, 18 s before attempts 2, 3 and 4
/// ```
///
/// Used by both ``JobPipeline`` jobs and ``DependencyScheduler`` jobs. A run that is cancelled
/// is never retried.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// The total number of attempts, the first one included (`1` means no retry).
    public let maxAttempts: Int
    /// The wait before the second attempt.
    public var initialDelay: Duration { Duration(timeInterval: initialDelaySeconds) }
    /// The factor by which each further wait grows (`≥ 1`).
    public let multiplier: Double
    /// The longest wait between two attempts.
    public var maxDelay: Duration { Duration(timeInterval: maxDelaySeconds) }
    /// The largest fraction (`0...1`) by which a wait is randomly shortened.
    public let jitter: Double

    /// ``initialDelay`` in seconds, as stored (the `Codable` form and the state file keep seconds).
    package let initialDelaySeconds: TimeInterval
    /// ``maxDelay`` in seconds, as stored.
    package let maxDelaySeconds: TimeInterval

    /// No retry: a failed attempt fails the job.
    public static let none = RetryPolicy(uncheckedMaxAttempts: 1, initialDelaySeconds: 0, multiplier: 1, maxDelaySeconds: 0, jitter: 0)

    /// Creates a retry policy.
    ///
    /// - Throws: ``RetryPolicyError`` naming the first argument that is out of range:
    ///   `maxAttempts < 1`, a negative delay, `multiplier < 1`, `maxDelay < initialDelay`, or
    ///   `jitter` outside `0...1`.
    public init(
        maxAttempts: Int,
        initialDelay: Duration = .seconds(1),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(300),
        jitter: Double = 0
    ) throws(RetryPolicyError) {
        try self.init(
            maxAttempts: maxAttempts, initialDelaySeconds: initialDelay.timeInterval, multiplier: multiplier,
            maxDelaySeconds: maxDelay.timeInterval, jitter: jitter)
    }

    /// Creates a retry policy from delays in seconds, the stored form (a decoded policy, a state
    /// file's), validated as ``init(maxAttempts:initialDelay:multiplier:maxDelay:jitter:)`` does;
    /// a non-finite delay is out of range too.
    package init(
        maxAttempts: Int,
        initialDelaySeconds initialDelay: TimeInterval,
        multiplier: Double,
        maxDelaySeconds maxDelay: TimeInterval,
        jitter: Double
    ) throws(RetryPolicyError) {
        guard maxAttempts >= 1 else {
            throw RetryPolicyError(argument: "maxAttempts", value: "\(maxAttempts)", requirement: "at least 1")
        }
        guard initialDelay.isFinite, initialDelay >= 0 else {
            throw RetryPolicyError(argument: "initialDelay", value: "\(initialDelay) s", requirement: "a finite duration ≥ 0")
        }
        guard multiplier.isFinite, multiplier >= 1 else {
            throw RetryPolicyError(argument: "multiplier", value: "\(multiplier)", requirement: "a finite number ≥ 1")
        }
        guard maxDelay.isFinite, maxDelay >= initialDelay else {
            throw RetryPolicyError(argument: "maxDelay", value: "\(maxDelay) s", requirement: "finite and ≥ initialDelay (\(initialDelay) s)")
        }
        guard jitter.isFinite, (0...1).contains(jitter) else {
            throw RetryPolicyError(argument: "jitter", value: "\(jitter)", requirement: "a fraction in 0...1")
        }
        self.init(uncheckedMaxAttempts: maxAttempts, initialDelaySeconds: initialDelay, multiplier: multiplier, maxDelaySeconds: maxDelay, jitter: jitter)
    }

    private init(uncheckedMaxAttempts: Int, initialDelaySeconds: TimeInterval, multiplier: Double, maxDelaySeconds: TimeInterval, jitter: Double) {
        self.maxAttempts = uncheckedMaxAttempts
        self.initialDelaySeconds = initialDelaySeconds
        self.multiplier = multiplier
        self.maxDelaySeconds = maxDelaySeconds
        self.jitter = jitter
    }

    private enum CodingKeys: String, CodingKey {
        case maxAttempts, initialDelay, multiplier, maxDelay, jitter
    }

    /// Decodes a policy (delays in seconds) and validates it as
    /// ``init(maxAttempts:initialDelay:multiplier:maxDelay:jitter:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            maxAttempts: container.decode(Int.self, forKey: .maxAttempts),
            initialDelaySeconds: container.decode(TimeInterval.self, forKey: .initialDelay),
            multiplier: container.decode(Double.self, forKey: .multiplier),
            maxDelaySeconds: container.decode(TimeInterval.self, forKey: .maxDelay),
            jitter: container.decode(Double.self, forKey: .jitter)
        )
    }

    /// Encodes the policy with its delays as numbers of seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxAttempts, forKey: .maxAttempts)
        try container.encode(initialDelaySeconds, forKey: .initialDelay)
        try container.encode(multiplier, forKey: .multiplier)
        try container.encode(maxDelaySeconds, forKey: .maxDelay)
        try container.encode(jitter, forKey: .jitter)
    }

    /// The wait before the backoff is jittered, before `attempt` (`≥ 2`); `nil` when the policy
    /// allows no such attempt.
    public func baseDelay(beforeAttempt attempt: Int) -> Duration? {
        baseDelaySeconds(beforeAttempt: attempt).map(Duration.init(timeInterval:))
    }

    /// The jittered wait before `attempt` (`≥ 2`), or `nil` when the policy allows no such attempt.
    ///
    /// `unit` is a number in `0..<1` (the random draw); the result is
    /// `baseDelay × (1 − jitter × unit)`.
    public func delay(beforeAttempt attempt: Int, unit: Double = Double.random(in: 0..<1)) -> Duration? {
        delaySeconds(beforeAttempt: attempt, unit: unit).map(Duration.init(timeInterval:))
    }

    /// ``baseDelay(beforeAttempt:)`` in seconds.
    package func baseDelaySeconds(beforeAttempt attempt: Int) -> TimeInterval? {
        guard attempt >= 2, attempt <= maxAttempts else { return nil }
        let exponent = Double(attempt - 2)
        return min(maxDelaySeconds, initialDelaySeconds * pow(multiplier, exponent))
    }

    /// ``delay(beforeAttempt:unit:)`` in seconds.
    package func delaySeconds(beforeAttempt attempt: Int, unit: Double = Double.random(in: 0..<1)) -> TimeInterval? {
        guard let base = baseDelaySeconds(beforeAttempt: attempt) else { return nil }
        return base * (1 - jitter * min(max(unit, 0), 1))
    }
}

/// A ``RetryPolicy`` argument out of range.
public struct RetryPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The argument's name, e.g. `"jitter"`.
    public let argument: String
    /// The rejected value, as text.
    public let value: String
    /// What the argument must be.
    public let requirement: String

    /// `invalid retry policy: jitter is 1.5, must be a fraction in 0...1`.
    public var description: String { "invalid retry policy: \(argument) is \(value), must be \(requirement)" }
}
