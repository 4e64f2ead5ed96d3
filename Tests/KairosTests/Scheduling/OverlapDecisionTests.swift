import Testing

@testable import Kairos

/// The overlap rules as a table on ``OverlapDecision``: no scheduler, no thread, no clock.
@Suite(.timeLimit(.minutes(1))) struct OverlapDecisionTests {
    /// Policy, runs in flight, buffered fires → decision.
    static let rows: [(OverlapPolicy, Int, Int, OverlapDecision)] = [
        // Nothing in flight: every policy starts the run.
        (.skip, 0, 0, .start), (.bufferOne, 0, 0, .start), (.bufferAll(limit: 2), 0, 0, .start),
        (.cancelOther, 0, 0, .start), (.allowAll(limit: 2), 0, 0, .start),
        // A buffered fire left while nothing runs (the next run is about to take it) changes nothing.
        (.bufferOne, 0, 1, .start),
        (.skip, 1, 0, .skip), (.skip, 3, 0, .skip),
        (.bufferOne, 1, 0, .replaceBuffer), (.bufferOne, 1, 1, .replaceBuffer),
        (.bufferAll(limit: 2), 1, 0, .buffer), (.bufferAll(limit: 2), 1, 1, .buffer), (.bufferAll(limit: 2), 1, 2, .dropFire),
        (.bufferAll(limit: 1), 1, 1, .dropFire),
        (.cancelOther, 1, 0, .cancelRunsAndReplaceBuffer), (.cancelOther, 1, 1, .cancelRunsAndReplaceBuffer),
        (.allowAll(limit: 2), 1, 0, .start), (.allowAll(limit: 2), 2, 0, .skip), (.allowAll(limit: 3), 2, 0, .start),
        (.allowAll(limit: 1), 1, 0, .skip),
        // The record counts at most 65,535 runs in flight: beyond, every fire is skipped.
        (.allowAll(limit: 65_535), 65_534, 0, .start), (.allowAll(limit: 65_535), 65_535, 0, .skip),
        (.bufferAll(limit: 10), 65_535, 0, .skip), (.cancelOther, 65_535, 0, .skip),
    ]

    @Test(arguments: rows)
    func thePolicyDecidesWhenARunIsInFlight(_ row: (OverlapPolicy, Int, Int, OverlapDecision)) {
        let (policy, active, buffered, expected) = row
        #expect(OverlapDecision(policy: policy, active: active, buffered: buffered) == expected)
    }
}
