import Foundation
import Testing

@testable import Kairos

/// The misfire rules as tables on ``MisfireSelection``: no scheduler, no thread, no clock.
@Suite(.timeLimit(.minutes(1))) struct MisfireSelectionTests {
    /// 2026-01-01T00:00:00Z in seconds since the reference date: a whole multiple of 10 s since
    /// 1970 too, so the cron trigger's dates match the interval trigger's.
    static let origin = 788_918_400.0

    /// Every 10 s from +10 s (at most `fires` dates if given), as an interval trigger, a cron
    /// trigger, or a trigger the resolution can only enumerate.
    static func everyTenSeconds(_ kind: MissedDueDateTests.TriggerKind, fires: Int? = nil) throws -> TriggerStorage {
        let first = Date(timeIntervalSinceReferenceDate: origin + 10)
        let trigger: any Trigger
        if let fires {
            let interval = try IntervalTrigger(every: .seconds(10), startingAt: first, repeatCount: fires)
            trigger = kind == .opaque ? MisfirePolicyTests.OpaqueInterval(base: interval) : interval
        } else {
            trigger = try MissedDueDateTests.everyTenSeconds(from: Date(timeIntervalSinceReferenceDate: origin), kind)
        }
        return TriggerStorage(trigger, anchoredAt: origin)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        /// What made the dates missed: the scheduler stopped or paused (or the job paused) until
        /// `now`, or the scheduler thread reached them late.
        var situation: String
        var window: Double?
        var mode: MisfirePolicy.Mode
        /// Offsets from the origin.
        var firstMissed: Double
        var now: Double
        var runs: [Double]
        var droppedCount: Int
        var dropped: ClosedRange<Double>?
        var next: Double?

        var testDescription: String {
            "\(situation): window \(window.map { "\($0)" } ?? "none"), \(mode), missed from +\(firstMissed) at +\(now)"
        }
    }

    /// Due every 10 s from +10 s.
    static let rows: [Row] = [
        // Stopped (or paused) from before +10 s until +55 s: five dates missed.
        Row(situation: "stopped", window: nil, mode: .runLatest, firstMissed: 10, now: 55, runs: [50], droppedCount: 4, dropped: 10...40, next: 60),
        Row(situation: "stopped", window: nil, mode: .runEarliest, firstMissed: 10, now: 55, runs: [10], droppedCount: 4, dropped: 20...50, next: 60),
        Row(situation: "stopped", window: nil, mode: .runAll, firstMissed: 10, now: 55, runs: [10, 20, 30, 40, 50], droppedCount: 0, dropped: nil, next: 60),
        Row(situation: "stopped", window: 25, mode: .runLatest, firstMissed: 10, now: 55, runs: [50], droppedCount: 4, dropped: 10...40, next: 60),
        Row(situation: "stopped", window: 25, mode: .runEarliest, firstMissed: 10, now: 55, runs: [30], droppedCount: 4, dropped: 10...50, next: 60),
        Row(situation: "stopped", window: 25, mode: .runAll, firstMissed: 10, now: 55, runs: [30, 40, 50], droppedCount: 2, dropped: 10...20, next: 60),
        Row(situation: "stopped", window: 0, mode: .runLatest, firstMissed: 10, now: 55, runs: [], droppedCount: 5, dropped: 10...50, next: 60),
        Row(situation: "stopped", window: 0, mode: .runAll, firstMissed: 10, now: 55, runs: [], droppedCount: 5, dropped: 10...50, next: 60),
        // A window that ends between the last missed date and now keeps none.
        Row(situation: "stopped", window: 3, mode: .runAll, firstMissed: 10, now: 55, runs: [], droppedCount: 5, dropped: 10...50, next: 60),
        // A window that reaches exactly back to a date keeps it.
        Row(situation: "stopped", window: 15, mode: .runEarliest, firstMissed: 10, now: 55, runs: [40], droppedCount: 4, dropped: 10...50, next: 60),
        // Resumed exactly on a due date: it is missed too (due before the resume), the next one follows it.
        Row(situation: "paused", window: nil, mode: .runLatest, firstMissed: 10, now: 60, runs: [60], droppedCount: 5, dropped: 10...50, next: 70),
        Row(situation: "paused", window: nil, mode: .runEarliest, firstMissed: 30, now: 60, runs: [30], droppedCount: 3, dropped: 40...60, next: 70),
        Row(situation: "paused", window: 10, mode: .runAll, firstMissed: 30, now: 60, runs: [50, 60], droppedCount: 2, dropped: 30...40, next: 70),
        // One date reached late by the scheduler thread (beyond the threshold).
        Row(situation: "late thread", window: nil, mode: .runLatest, firstMissed: 50, now: 52, runs: [50], droppedCount: 0, dropped: nil, next: 60),
        Row(situation: "late thread", window: 1, mode: .runLatest, firstMissed: 50, now: 52, runs: [], droppedCount: 1, dropped: 50...50, next: 60),
        Row(situation: "late thread", window: nil, mode: .runAll, firstMissed: 40, now: 52, runs: [40, 50], droppedCount: 0, dropped: nil, next: 60),
    ]

    @Test(arguments: rows, MissedDueDateTests.TriggerKind.allCases)
    func theResolutionRunsDropsAndContinuesAsThePolicySays(_ row: Row, kind: MissedDueDateTests.TriggerKind) throws {
        let policy = MisfirePolicy(catchUpWindow: row.window.map { .seconds($0) }, mode: row.mode)
        let resolution = MisfireSelection(
            try Self.everyTenSeconds(kind), firstMissed: Self.origin + row.firstMissed, now: Self.origin + row.now, policy: policy)
        #expect(resolution.dueDates.map { $0 - Self.origin } == row.runs)
        #expect(resolution.missedCount == row.droppedCount)
        #expect(resolution.droppedSpan.map { ($0.lowerBound - Self.origin)...($0.upperBound - Self.origin) } == row.dropped)
        #expect(resolution.next.map { $0 - Self.origin } == row.next)
    }

    /// A trigger with five dates (+10 … +50 s), reached at +75 s: nothing follows the missed dates.
    @Test(arguments: [MisfirePolicy.Mode.runLatest, .runEarliest, .runAll], [MissedDueDateTests.TriggerKind.interval, .opaque])
    func anExhaustedTriggerHasNoNextDate(_ mode: MisfirePolicy.Mode, kind: MissedDueDateTests.TriggerKind) throws {
        let resolution = MisfireSelection(
            try Self.everyTenSeconds(kind, fires: 5), firstMissed: Self.origin + 10, now: Self.origin + 75, policy: MisfirePolicy(mode: mode))
        #expect(resolution.dueDates.count + resolution.missedCount == 5)
        #expect(resolution.next == nil)
    }

    /// A one-shot job whose date passed runs once or is dropped, and never continues.
    @Test(arguments: [(nil, [10.0], 0), (0, [], 1)] as [(Double?, [Double], Int)])
    func aOneShotRunsOnceOrIsDropped(_ window: Double?, runs: [Double], dropped: Int) {
        let resolution = MisfireSelection(
            .once(Self.origin + 10), firstMissed: Self.origin + 10, now: Self.origin + 55, policy: MisfirePolicy(catchUpWindow: window.map { .seconds($0) }))
        #expect(resolution.dueDates.map { $0 - Self.origin } == runs)
        #expect(resolution.missedCount == dropped)
        #expect(resolution.next == nil)
    }

    struct MissedRow: Sendable {
        var situation: String
        var fireDate: Double
        var now: Double
        var heldUntil: Double
        var missed: Bool
    }

    /// With a threshold of 1 s.
    static let missedRows: [MissedRow] = [
        MissedRow(situation: "on time", fireDate: 10, now: 10, heldUntil: -.infinity, missed: false),
        MissedRow(situation: "late within the threshold", fireDate: 10, now: 11, heldUntil: -.infinity, missed: false),
        MissedRow(situation: "late thread", fireDate: 10, now: 11.5, heldUntil: -.infinity, missed: true),
        MissedRow(situation: "due while stopped, reached at start", fireDate: 10, now: 10.1, heldUntil: 10.1, missed: true),
        MissedRow(situation: "due while paused, reached at resume", fireDate: 9.999, now: 10, heldUntil: 10, missed: true),
        MissedRow(situation: "due at the resume", fireDate: 10, now: 10, heldUntil: 10, missed: false),
        MissedRow(situation: "due after the resume", fireDate: 20, now: 20.5, heldUntil: 10, missed: false),
    ]

    @Test(arguments: missedRows)
    func aDateIsMissedWhenLateBeyondTheThresholdOrDueWhileHeld(_ row: MissedRow) {
        #expect(
            MisfireSelection.isMissed(fireDate: row.fireDate, now: row.now, threshold: 1, heldUntil: row.heldUntil) == row.missed,
            "\(row.situation)")
    }
}
