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
/// let retry = try RetryPolicy(maxAttempts: 4, initialDelay: 2, multiplier: 3, jitter: 0.1)
/// // waits ≈ 2 s, 6 s, 18 s before attempts 2, 3 and 4
/// ```
///
/// Used by both ``JobPipeline`` jobs and ``DependencyScheduler`` jobs. A run that is cancelled
/// is never retried.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// The total number of attempts, the first one included (`1` means no retry).
    public let maxAttempts: Int
    /// The wait before the second attempt, in seconds.
    public let initialDelay: TimeInterval
    /// The factor by which each further wait grows (`≥ 1`).
    public let multiplier: Double
    /// The longest wait between two attempts, in seconds.
    public let maxDelay: TimeInterval
    /// The largest fraction (`0...1`) by which a wait is randomly shortened.
    public let jitter: Double

    /// No retry: a failed attempt fails the job.
    public static let none = RetryPolicy(uncheckedMaxAttempts: 1, initialDelay: 0, multiplier: 1, maxDelay: 0, jitter: 0)

    /// Creates a retry policy.
    ///
    /// - Throws: ``RetryPolicyError`` naming the first argument that is out of range:
    ///   `maxAttempts < 1`, a negative or non-finite delay, `multiplier < 1`, `maxDelay <
    ///   initialDelay`, or `jitter` outside `0...1`.
    public init(
        maxAttempts: Int,
        initialDelay: TimeInterval = 1,
        multiplier: Double = 2,
        maxDelay: TimeInterval = 300,
        jitter: Double = 0
    ) throws(RetryPolicyError) {
        guard maxAttempts >= 1 else {
            throw RetryPolicyError(argument: "maxAttempts", value: "\(maxAttempts)", requirement: "at least 1")
        }
        guard initialDelay.isFinite, initialDelay >= 0 else {
            throw RetryPolicyError(argument: "initialDelay", value: "\(initialDelay)", requirement: "a finite number of seconds ≥ 0")
        }
        guard multiplier.isFinite, multiplier >= 1 else {
            throw RetryPolicyError(argument: "multiplier", value: "\(multiplier)", requirement: "a finite number ≥ 1")
        }
        guard maxDelay.isFinite, maxDelay >= initialDelay else {
            throw RetryPolicyError(argument: "maxDelay", value: "\(maxDelay)", requirement: "finite and ≥ initialDelay (\(initialDelay))")
        }
        guard jitter.isFinite, (0...1).contains(jitter) else {
            throw RetryPolicyError(argument: "jitter", value: "\(jitter)", requirement: "a fraction in 0...1")
        }
        self.init(uncheckedMaxAttempts: maxAttempts, initialDelay: initialDelay, multiplier: multiplier, maxDelay: maxDelay, jitter: jitter)
    }

    private init(uncheckedMaxAttempts: Int, initialDelay: TimeInterval, multiplier: Double, maxDelay: TimeInterval, jitter: Double) {
        self.maxAttempts = uncheckedMaxAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// Decodes a policy and validates it as ``init(maxAttempts:initialDelay:multiplier:maxDelay:jitter:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            maxAttempts: container.decode(Int.self, forKey: .maxAttempts),
            initialDelay: container.decode(TimeInterval.self, forKey: .initialDelay),
            multiplier: container.decode(Double.self, forKey: .multiplier),
            maxDelay: container.decode(TimeInterval.self, forKey: .maxDelay),
            jitter: container.decode(Double.self, forKey: .jitter)
        )
    }

    /// The wait before the backoff is jittered, before `attempt` (`≥ 2`); `nil` when the policy
    /// allows no such attempt.
    public func baseDelay(beforeAttempt attempt: Int) -> TimeInterval? {
        guard attempt >= 2, attempt <= maxAttempts else { return nil }
        let exponent = Double(attempt - 2)
        return min(maxDelay, initialDelay * pow(multiplier, exponent))
    }

    /// The jittered wait before `attempt` (`≥ 2`), or `nil` when the policy allows no such attempt.
    ///
    /// `unit` is a number in `0..<1` (the random draw); the result is
    /// `baseDelay × (1 − jitter × unit)`.
    public func delay(beforeAttempt attempt: Int, unit: Double = Double.random(in: 0..<1)) -> TimeInterval? {
        guard let base = baseDelay(beforeAttempt: attempt) else { return nil }
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
