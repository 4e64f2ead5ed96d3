import Foundation
import Testing

@testable import Kairos

private func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

private func sequence(_ trigger: any Trigger, after start: Date, count: Int) -> [Date] {
    var dates: [Date] = []
    var cursor = start
    while dates.count < count, let next = trigger.nextFireDate(after: cursor) {
        dates.append(next)
        cursor = next
    }
    return dates
}

@Suite(.timeLimit(.minutes(1))) struct OnceTriggerTests {
    @Test func firesOnlyBeforeItsDate() {
        let trigger = OnceTrigger(at: utc("2026-01-01T00:00:00Z"))
        #expect(trigger.nextFireDate(after: utc("2025-12-31T23:59:59Z")) == utc("2026-01-01T00:00:00Z"))
        #expect(trigger.nextFireDate(after: utc("2026-01-01T00:00:00Z")) == nil)
    }
}

@Suite(.timeLimit(.minutes(1))) struct IntervalTriggerTests {
    @Test func intervalIsADurationAndTheCodableFormKeepsSeconds() throws {
        let trigger = try IntervalTrigger(every: .milliseconds(1500), startingAt: utc("2026-01-01T00:00:00Z"))
        #expect(trigger.interval == .milliseconds(1500))
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(trigger)) as? [String: Any]
        #expect(encoded?["interval"] as? Double == 1.5)
        let decoded = try JSONDecoder().decode(IntervalTrigger.self, from: JSONEncoder().encode(trigger))
        #expect(decoded == trigger)
        #expect(TriggerDescription(trigger) == .interval(seconds: 1.5, start: trigger.start, end: nil, repeatCount: nil))
    }

    @Test func aStoredIntervalBeyondWhatADurationHoldsReadsAsTheLargestDuration() throws {
        let decoded = try JSONDecoder().decode(IntervalTrigger.self, from: Data(#"{"interval":1e300}"#.utf8))
        #expect(decoded.interval == .seconds(Int64.max))
    }

    @Test func fireKIsAnchoredAtStartPlusKIntervals() throws {
        let start = utc("2026-01-01T00:00:00Z")
        let trigger = try IntervalTrigger(every: .seconds(90), startingAt: start)
        #expect(
            sequence(trigger, after: start.addingTimeInterval(-1), count: 4)
                == [0, 90, 180, 270].map { start.addingTimeInterval($0) })
        // Asking from arbitrary instants (a slow run finishing late) never drifts.
        #expect(trigger.nextFireDate(after: start.addingTimeInterval(100.7)) == start.addingTimeInterval(180))
        #expect(trigger.nextFireDate(after: start.addingTimeInterval(180)) == start.addingTimeInterval(270))
        #expect(trigger.nextFireDate(after: start.addingTimeInterval(90 * 1_000_000 + 1)) == start.addingTimeInterval(90 * 1_000_001))
    }

    @Test func repeatCountAndEndBoundTheFires() throws {
        let start = utc("2026-01-01T00:00:00Z")
        let counted = try IntervalTrigger(every: .seconds(60), startingAt: start, repeatCount: 3)
        #expect(sequence(counted, after: .distantPast, count: 10).count == 3)
        let bounded = try IntervalTrigger(every: .seconds(60), startingAt: start, until: start.addingTimeInterval(120))
        #expect(sequence(bounded, after: .distantPast, count: 10) == [0, 60, 120].map { start.addingTimeInterval($0) })
    }

    @Test func unanchoredTriggerFirstFiresOneIntervalAfterItsAnchor() throws {
        let anchor = utc("2026-05-05T10:00:00Z")
        let trigger = try IntervalTrigger(every: .seconds(300)).anchored(at: anchor)
        #expect(trigger.start == anchor.addingTimeInterval(300))
        #expect(trigger.nextFireDate(after: anchor) == anchor.addingTimeInterval(300))
    }

    @Test func intervalIsElapsedTimeAcrossDaylightSavingChange() throws {
        // 24 h after noon EST on 7 March 2026 is 13:00 EDT on 8 March.
        let trigger = try IntervalTrigger(every: .seconds(86_400), startingAt: utc("2026-03-07T17:00:00Z"))
        #expect(trigger.nextFireDate(after: utc("2026-03-07T17:00:00Z")) == utc("2026-03-08T17:00:00Z"))
    }

    @Test(arguments: [
        (0.0, "every"), (-5.0, "every"), (Double.infinity, "every"),
    ])
    func rejectsBadIntervals(seconds: Double, parameter: String) {
        #expect(throws: TriggerError.self) { try IntervalTrigger(seconds: seconds) }
        do { _ = try IntervalTrigger(seconds: seconds) } catch { #expect(error.parameter == parameter) }
    }

    @Test func rejectsZeroRepeatCountAndEndBeforeStart() {
        let start = utc("2026-01-01T00:00:00Z")
        do {
            _ = try IntervalTrigger(every: .seconds(1), repeatCount: 0)
            Issue.record("accepted repeatCount 0")
        } catch { #expect(error.parameter == "repeatCount") }
        do {
            _ = try IntervalTrigger(every: .seconds(1), startingAt: start, until: start.addingTimeInterval(-1))
            Issue.record("accepted end before start")
        } catch { #expect(error.parameter == "until") }
    }
}

@Suite(.timeLimit(.minutes(1))) struct CronTriggerTests {
    static let newYork = TimeZone(identifier: "America/New_York")!

    @Test func skippedTimeFiresAtTheTransition() throws {
        let trigger = try CronTrigger("30 2 * * *", timeZone: Self.newYork)
        #expect(
            sequence(trigger, after: utc("2026-03-07T00:00:00Z"), count: 3) == [
                utc("2026-03-07T07:30:00Z"),  // 02:30 EST
                utc("2026-03-08T07:00:00Z"),  // 02:30 does not exist: 03:00 EDT
                utc("2026-03-09T06:30:00Z"),  // 02:30 EDT
            ])
    }

    @Test func repeatedTimeFiresOnceAndWildcardHourFiresTwice() throws {
        let fixed = try CronTrigger("30 1 * * *", timeZone: Self.newYork)
        #expect(
            sequence(fixed, after: utc("2026-10-31T12:00:00Z"), count: 2) == [
                utc("2026-11-01T05:30:00Z"),  // 01:30 EDT, not again at 01:30 EST
                utc("2026-11-02T06:30:00Z"),
            ])
        let everyHalfHour = try CronTrigger("*/30 1 1 11 *", timeZone: Self.newYork)
        #expect(
            sequence(everyHalfHour, after: utc("2026-11-01T00:00:00Z"), count: 4) == [
                utc("2026-11-01T05:00:00Z"), utc("2026-11-01T05:30:00Z"),  // EDT
                utc("2026-11-01T06:00:00Z"), utc("2026-11-01T06:30:00Z"),  // EST
            ])
    }

    @Test func monthEndsSkipShortMonths() throws {
        let trigger = try CronTrigger("0 0 31 * *", timeZone: .gmt)
        #expect(
            sequence(trigger, after: utc("2026-01-01T00:00:00Z"), count: 4) == [
                utc("2026-01-31T00:00:00Z"), utc("2026-03-31T00:00:00Z"), utc("2026-05-31T00:00:00Z"), utc("2026-07-31T00:00:00Z"),
            ])
    }

    @Test func startAndEndAreInclusiveBounds() throws {
        let trigger = try CronTrigger("0 * * * *", timeZone: .gmt, startingAt: utc("2026-01-01T03:00:00Z"), until: utc("2026-01-01T05:00:00Z"))
        #expect(
            sequence(trigger, after: .distantPast, count: 10) == [
                utc("2026-01-01T03:00:00Z"), utc("2026-01-01T04:00:00Z"), utc("2026-01-01T05:00:00Z"),
            ])
    }

    @Test func untilBeforeStartIsATypedErrorAsForIntervalTriggers() throws {
        let start = utc("2026-01-01T03:00:00Z")
        let expression = try CronExpression("0 * * * *")
        do {
            _ = try CronTrigger(expression, timeZone: .gmt, startingAt: start, until: start.addingTimeInterval(-1))
            Issue.record("accepted until before startingAt")
        } catch { #expect(error.parameter == "until") }
        #expect {
            try CronTrigger("0 * * * *", timeZone: .gmt, startingAt: start, until: start.addingTimeInterval(-3600))
        } throws: { error in
            (error as? TriggerError)?.parameter == "until"
        }
        #expect(throws: CronParseError.self) { try CronTrigger("61 * * * *", startingAt: start, until: start.addingTimeInterval(-1)) }
        let single = try CronTrigger(expression, timeZone: .gmt, startingAt: start, until: start)
        #expect(sequence(single, after: .distantPast, count: 3) == [start])
        #expect(CronTrigger(expression, timeZone: .gmt).start == nil)
    }
}

@Suite(.timeLimit(.minutes(1))) struct JitteredTriggerTests {
    @Test func maxJitterIsADurationAndTheDataFormKeepsSeconds() throws {
        let trigger = try OnceTrigger(at: utc("2026-01-01T00:00:00Z")).jittered(upTo: .milliseconds(2500))
        #expect(trigger.maxJitter == .milliseconds(2500))
        #expect(TriggerDescription(trigger) == .jittered(.once(at: utc("2026-01-01T00:00:00Z")), maxJitter: 2.5))
        let rebuilt = try #require(try TriggerDescription.jittered(.manual, maxJitter: 2.5).makeTrigger() as? JitteredTrigger)
        #expect(rebuilt.maxJitter == .milliseconds(2500))
    }

    @Test func delayIsDeterministicBoundedAndDiffersBetweenJobs() throws {
        let trigger = try IntervalTrigger(every: .seconds(60), startingAt: utc("2026-01-01T00:00:00Z")).jittered(upTo: .seconds(10))
        let due = utc("2026-01-01T00:01:00Z")
        #expect(trigger.nextFireDate(after: utc("2026-01-01T00:00:30Z")) == due)
        let delays = (1...50).map { trigger.delay(for: JobID(rawValue: $0), dueDate: due) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 < .seconds(10) })
        #expect(Set(delays).count > 40)
        #expect(trigger.delay(for: JobID(rawValue: 7), dueDate: due) == trigger.delay(for: JobID(rawValue: 7), dueDate: due))
        #expect(trigger.delay(for: JobID(rawValue: 7), dueDate: due) != trigger.delay(for: JobID(rawValue: 7), dueDate: due.addingTimeInterval(60)))
    }

    @Test func rejectsNegativeJitter() {
        #expect(throws: TriggerError.self) { try OnceTrigger(at: .now).jittered(upTo: .seconds(-1)) }
    }
}

@Suite(.timeLimit(.minutes(1))) struct TriggerDescriptionTests {
    struct Custom: Trigger {
        func nextFireDate(after: Date) -> Date? { nil }
    }

    static let start = utc("2026-01-01T00:00:00Z")

    @Test func builtInTriggersRoundTripThroughJSON() throws {
        let triggers: [any Trigger] = [
            OnceTrigger(at: Self.start),
            try IntervalTrigger(every: .seconds(15), startingAt: Self.start, until: Self.start.addingTimeInterval(3600), repeatCount: 7),
            try CronTrigger("0 9 * * mon-fri", timeZone: TimeZone(identifier: "Europe/Paris")!, startingAt: Self.start),
            SignalTrigger(key: "orders.created"),
            ManualTrigger(),
            try IntervalTrigger(every: .seconds(60), startingAt: Self.start).jittered(upTo: .seconds(5)),
        ]
        for trigger in triggers {
            let description = try #require(TriggerDescription(trigger))
            let decoded = try JSONDecoder().decode(TriggerDescription.self, from: JSONEncoder().encode(description))
            #expect(decoded == description)
            let rebuilt = try decoded.makeTrigger()
            #expect(TriggerDescription(rebuilt) == description)
            #expect(sequence(rebuilt, after: Self.start, count: 5) == sequence(trigger, after: Self.start, count: 5))
        }
    }

    @Test func customTriggersHaveNoDescription() {
        #expect(TriggerDescription(Custom()) == nil)
        #expect(TriggerDescription(try! Custom().jittered(upTo: .seconds(1))) == nil)
    }

    @Test func badStoredValuesAreTypedErrors() {
        do {
            _ = try TriggerDescription.cron(expression: "0 9 * * *", timeZone: "Mars/Olympus", start: nil, end: nil).makeTrigger()
            Issue.record("accepted an unknown time zone")
        } catch { #expect(error.parameter == "timeZone") }
        do {
            _ = try TriggerDescription.cron(expression: "61 * * * *", timeZone: "UTC", start: nil, end: nil).makeTrigger()
            Issue.record("accepted a bad expression")
        } catch { #expect(error.parameter == "expression") }
        do {
            _ = try TriggerDescription.cron(expression: "0 9 * * *", timeZone: "UTC", start: Self.start, end: Self.start.addingTimeInterval(-60)).makeTrigger()
            Issue.record("accepted a cron trigger that ends before it starts")
        } catch { #expect(error.parameter == "until") }
        do {
            _ = try TriggerDescription.interval(seconds: -1, start: nil, end: nil, repeatCount: nil).makeTrigger()
            Issue.record("accepted a negative interval")
        } catch { #expect(error.parameter == "every") }
    }
}
