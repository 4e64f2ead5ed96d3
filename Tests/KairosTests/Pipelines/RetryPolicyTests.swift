import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct RetryPolicyTests {
    @Test(arguments: [
        (2, 0.0, 3.0), (3, 0.0, 6.0), (4, 0.0, 12.0), (5, 0.0, 20.0), (6, 0.0, 20.0),
        (3, 0.5, 4.5), (3, 0.999, 3.003),
    ])
    func backoffGrowsExponentiallyUpToTheCapAndJitterShortensIt(attempt: Int, unit: Double, expected: Double) throws {
        let policy = try RetryPolicy(maxAttempts: 6, initialDelay: .seconds(3), multiplier: 2, maxDelay: .seconds(20), jitter: 0.5)
        let delay = try #require(policy.delay(beforeAttempt: attempt, unit: unit))
        #expect(abs(delay.timeInterval - (attempt == 3 && unit == 0.999 ? 6 * (1 - 0.5 * 0.999) : expected)) < 1e-9)
    }

    @Test func noDelayBeyondMaxAttempts() throws {
        let policy = try RetryPolicy(maxAttempts: 3)
        #expect(policy.delay(beforeAttempt: 4) == nil)
        #expect(policy.delay(beforeAttempt: 1) == nil)
        #expect(RetryPolicy.none.delay(beforeAttempt: 2) == nil)
    }

    @Test(arguments: [
        ("maxAttempts", 0, 1.0, 2.0, 300.0, 0.0),
        ("initialDelay", 2, -1.0, 2.0, 300.0, 0.0),
        ("initialDelay", 2, Double.nan, 2.0, 300.0, 0.0),
        ("multiplier", 2, 1.0, 0.5, 300.0, 0.0),
        ("maxDelay", 2, 10.0, 2.0, 5.0, 0.0),
        ("jitter", 2, 1.0, 2.0, 300.0, 1.5),
        ("jitter", 2, 1.0, 2.0, 300.0, -0.1),
    ])
    func invalidArgumentsAreRejectedByName(
        argument: String, maxAttempts: Int, initialDelay: Double, multiplier: Double, maxDelay: Double, jitter: Double
    ) {
        func isRejected(_ error: any Error) -> Bool {
            guard let error = error as? RetryPolicyError else { return false }
            return error.argument == argument && error.description.hasPrefix("invalid retry policy: \(argument) is ")
        }
        // The stored form (seconds, as decoded or read from a state file), which may be NaN.
        #expect {
            try RetryPolicy(
                maxAttempts: maxAttempts, initialDelaySeconds: initialDelay, multiplier: multiplier,
                maxDelaySeconds: maxDelay, jitter: jitter)
        } throws: { isRejected($0) }
        guard initialDelay.isFinite else { return }
        #expect {
            try RetryPolicy(
                maxAttempts: maxAttempts, initialDelay: .seconds(initialDelay), multiplier: multiplier,
                maxDelay: .seconds(maxDelay), jitter: jitter)
        } throws: { isRejected($0) }
    }

    @Test func delaysAreDurationsAndTheCodableFormKeepsSeconds() throws {
        let policy = try RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(1500), multiplier: 2, maxDelay: .seconds(60), jitter: 0)
        #expect(policy.initialDelay == .milliseconds(1500))
        #expect(policy.maxDelay == .seconds(60))
        #expect(policy.baseDelay(beforeAttempt: 3) == .seconds(3))
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(policy)) as? [String: Any]
        #expect(encoded?["initialDelay"] as? Double == 1.5)
        #expect(encoded?["maxDelay"] as? Double == 60)
        let stored = Data(#"{"maxAttempts":3,"initialDelay":1.5,"multiplier":2,"maxDelay":60,"jitter":0}"#.utf8)
        #expect(try JSONDecoder().decode(RetryPolicy.self, from: stored) == policy)
    }

    @Test func roundTripsThroughJSONAndValidatesWhenDecoding() throws {
        let policy = try RetryPolicy(maxAttempts: 4, initialDelay: .seconds(2), multiplier: 3, maxDelay: .seconds(60), jitter: 0.25)
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(RetryPolicy.self, from: data) == policy)
        let bad = Data(#"{"maxAttempts":0,"initialDelay":1,"multiplier":2,"maxDelay":5,"jitter":0}"#.utf8)
        #expect(throws: RetryPolicyError.self) { try JSONDecoder().decode(RetryPolicy.self, from: bad) }
    }
}
