import Foundation
import Testing

@testable import KairosCron

/// DST as Debian cron / cronie: fixed-time expressions follow the wall clock (a skipped time fires
/// at the transition, a repeated time fires once, first copy); expressions whose minute or hour
/// starts with `*`, and 6-field expressions, follow real time.
///
/// 2026 transitions used here: New York 03-08 02:00→03:00, 11-01 02:00→01:00; London 03-29
/// 01:00→02:00, 10-25 02:00→01:00; Lord Howe (30 minutes) 10-04 02:00→02:30, 04-05 02:00→01:30;
/// Santiago (at midnight) 09-06 00:00→01:00, 04-05 00:00→04-04 23:00; Chatham (+12:45/+13:45)
/// 09-27 02:45→03:45.
@Suite(.timeLimit(.minutes(1))) struct CronDaylightSavingTests {
    @Test(arguments: [
        // New York, spring forward: 02:00-02:59 does not exist on 03-08.
        ("America/New_York", "30 2 * * *", "2026-03-07T12:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        ("America/New_York", "0,30 2 * * *", "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        ("America/New_York", "30 2 8 3 *", "2026-01-01T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2027-03-08T02:30:00-05:00"]),
        ("America/New_York", "* 2 * * *", "2026-03-08T01:59:00-05:00", ["2026-03-09T02:00:00-04:00"]),
        ("America/New_York", "*/30 2 * * *", "2026-03-08T00:00:00-05:00", ["2026-03-09T02:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        ("America/New_York", "0 * * * *", "2026-03-08T00:30:00-05:00", ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]),
        ("America/New_York", "0 0 2 * * *", "2026-03-07T12:00:00-05:00", ["2026-03-09T02:00:00-04:00"]),
        // New York, fall back: 01:00-01:59 happens twice on 11-01.
        ("America/New_York", "30 1 * * *", "2026-11-01T00:00:00-04:00", ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        ("America/New_York", "30 1 * * *", "2026-11-01T01:15:00-05:00", ["2026-11-02T01:30:00-05:00"]),
        (
            "America/New_York", "*/30 1 * * *", "2026-11-01T00:00:00-04:00",
            ["2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:00:00-05:00"]
        ),
        ("America/New_York", "0 * * * *", "2026-11-01T00:30:00-04:00", ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"]),
        ("America/New_York", "0 1-2 * * *", "2026-11-01T00:30:00-04:00", ["2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"]),
        ("America/New_York", "0 30 1 * * *", "2026-11-01T00:00:00-04:00", ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"]),
        // London.
        ("Europe/London", "30 1 * * *", "2026-03-28T12:00:00Z", ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"]),
        ("Europe/London", "* 1 * * *", "2026-03-29T00:59:00Z", ["2026-03-30T01:00:00+01:00"]),
        ("Europe/London", "0 1 * * *", "2026-10-24T12:00:00+01:00", ["2026-10-25T01:00:00+01:00", "2026-10-26T01:00:00Z"]),
        ("Europe/London", "0 * * * *", "2026-10-24T23:30:00+01:00", ["2026-10-25T00:00:00+01:00", "2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"]),
        // Lord Howe: 30-minute DST.
        ("Australia/Lord_Howe", "15 2 * * *", "2026-10-03T12:00:00+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        ("Australia/Lord_Howe", "45 2 * * *", "2026-10-03T12:00:00+10:30", ["2026-10-04T02:45:00+11:00"]),
        ("Australia/Lord_Howe", "*/15 2 * * *", "2026-10-04T01:50:00+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00", "2026-10-05T02:00:00+11:00"]),
        ("Australia/Lord_Howe", "45 1 * * *", "2026-04-04T12:00:00+11:00", ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"]),
        (
            "Australia/Lord_Howe", "*/15 1 * * *", "2026-04-05T00:50:00+11:00",
            [
                "2026-04-05T01:00:00+11:00", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30",
                "2026-04-05T01:45:00+10:30", "2026-04-06T01:00:00+10:30",
            ]
        ),
        ("Australia/Lord_Howe", "* 13 */8 4 *", "2029-03-31T00:00:00+11:00", ["2029-04-01T13:00:00+10:30", "2029-04-01T13:01:00+10:30"]),
        // Santiago: DST changes at midnight.
        ("America/Santiago", "0 0 * * *", "2026-09-05T12:00:00-04:00", ["2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"]),
        ("America/Santiago", "30 0 * * *", "2026-09-05T12:00:00-04:00", ["2026-09-06T01:00:00-03:00", "2026-09-07T00:30:00-03:00"]),
        ("America/Santiago", "* 0 * * *", "2026-09-05T23:59:30-04:00", ["2026-09-07T00:00:00-03:00"]),
        ("America/Santiago", "30 23 * * *", "2026-04-04T12:00:00-03:00", ["2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"]),
        (
            "America/Santiago", "*/30 23 * * *", "2026-04-04T12:00:00-03:00",
            ["2026-04-04T23:00:00-03:00", "2026-04-04T23:30:00-03:00", "2026-04-04T23:00:00-04:00", "2026-04-04T23:30:00-04:00"]
        ),
        ("America/Santiago", "0 0 * * *", "2026-04-04T12:00:00-03:00", ["2026-04-05T00:00:00-04:00", "2026-04-06T00:00:00-04:00"]),
        // 45-minute offsets.
        ("Pacific/Chatham", "0 3 * * *", "2026-09-26T12:00:00+12:45", ["2026-09-27T03:45:00+13:45", "2026-09-28T03:00:00+13:45"]),
        ("Asia/Kathmandu", "0 9 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T09:00:00+05:45", "2026-01-02T09:00:00+05:45"]),
        // Samoa skipped all of 2011-12-30 (-10:00 to +14:00).
        ("Pacific/Apia", "0 12 30 12 *", "2011-12-27T00:00:00-10:00", ["2011-12-31T00:00:00+14:00", "2012-12-30T12:00:00+14:00"]),
        ("Pacific/Apia", "* 12 30 12 *", "2011-12-27T00:00:00-10:00", ["2012-12-30T12:00:00+14:00"]),
    ])
    func firesPerCronieRules(zone: String, expression: String, start: String, expected: [String]) throws {
        #expect(try CronTesting.next(expression, after: start, in: zone, count: expected.count) == expected)
    }

    @Test(arguments: [
        ("America/New_York", "30 2 * * *", "2026-03-09T00:00:00-04:00", ["2026-03-08T03:00:00-04:00", "2026-03-07T02:30:00-05:00"]),
        ("America/New_York", "30 1 * * *", "2026-11-01T01:45:00-05:00", ["2026-11-01T01:30:00-04:00", "2026-10-31T01:30:00-04:00"]),
        (
            "America/New_York", "*/30 1 * * *", "2026-11-01T02:00:00-05:00",
            ["2026-11-01T01:30:00-05:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-04:00"]
        ),
        ("America/Santiago", "0 0 * * *", "2026-09-07T00:00:00-03:00", ["2026-09-06T01:00:00-03:00", "2026-09-05T00:00:00-04:00"]),
        ("Australia/Lord_Howe", "15 2 * * *", "2026-10-04T03:00:00+11:00", ["2026-10-04T02:30:00+11:00", "2026-10-03T02:15:00+10:30"]),
    ])
    func previousDateMirrorsNextDate(zone: String, expression: String, start: String, expected: [String]) throws {
        #expect(try CronTesting.previous(expression, before: start, in: zone, count: expected.count) == expected)
    }

    /// Santiago skips 00:00-00:59 on the Sunday on or after September 2 (since 2019), so a
    /// September 8 that is a Sunday (2013, 2019, 2024) has no hour 0: a real-time expression for it
    /// last fired in 2002, while the wall-clock one fires at the transition.
    @Test func midnightSkipInSantiagoSeparatesTheModes() throws {
        let santiago = CronTesting.zone("America/Santiago")
        let after = CronTesting.date("2025-01-01T00:00:00Z")
        let realTime = try CronExpression("*/25 0 8 9 */7")
        #expect(CronTesting.text(realTime.previousDate(before: after, in: santiago), in: santiago) == "2002-09-08T00:50:00-04:00")
        let wallClock = try CronExpression("25 0 8 9 */7")
        #expect(CronTesting.text(wallClock.previousDate(before: after, in: santiago), in: santiago) == "2024-09-08T01:00:00-03:00")
    }

    @Test(arguments: [
        ("America/New_York", "30 2 * * *", "2026-03-08T03:00:00-04:00", true),
        ("America/New_York", "30 1 * * *", "2026-11-01T01:30:00-04:00", true),
        ("America/New_York", "30 1 * * *", "2026-11-01T01:30:00-05:00", false),
        ("America/New_York", "*/30 1 * * *", "2026-11-01T01:30:00-05:00", true),
        ("America/New_York", "0 3 * * *", "2026-03-08T03:00:00-04:00", true),
        ("America/Santiago", "0 0 * * *", "2026-09-06T01:00:00-03:00", true),
        ("America/Santiago", "* 0 * * *", "2026-09-06T01:00:00-03:00", false),
    ])
    func matchesAgreesWithNextDate(zone: String, expression: String, date: String, expected: Bool) throws {
        #expect(try CronExpression(expression).matches(CronTesting.date(date), in: CronTesting.zone(zone)) == expected)
    }

    /// For every start d: previousDate(before: nextDate(after: d)) <= d < nextDate(after: d), and
    /// no fire time lies strictly between d and nextDate(after: d); and the mirror for previousDate.
    @Test(arguments: ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham"])
    func nextAndPreviousAreConsistentAroundTransitions(zone zoneName: String) throws {
        let zone = CronTesting.zone(zoneName)
        let expressions = [
            "30 2 * * *", "0,30 1-3 * * *", "*/15 * * * *", "0 * * * *", "* 2 * * *", "15 0 * * *",
            "30 23 * * *", "0 0 * * *", "0 30 2 * * *", "45 2,3 * * *", "*/20 1 * * * *",
        ]
        let transitions = CronTesting.transitions(in: zone, year: 2026)
        #expect(transitions.count == 2)
        for text in expressions {
            let cron = try CronExpression(text)
            for transition in transitions {
                for minutes in stride(from: -150, through: 150, by: 7) {
                    let start = transition.addingTimeInterval(TimeInterval(minutes * 60) + 0.25)
                    let next = try #require(cron.nextDate(after: start, in: zone))
                    #expect(next > start)
                    #expect(cron.matches(next, in: zone), "\(text) \(next)")
                    let back = try #require(cron.previousDate(before: next, in: zone))
                    #expect(back <= start, "\(text) start \(start) next \(next) back \(back)")
                    let previous = try #require(cron.previousDate(before: start, in: zone))
                    #expect(previous < start)
                    #expect(cron.matches(previous, in: zone), "\(text) \(previous)")
                    let forward = try #require(cron.nextDate(after: previous, in: zone))
                    #expect(forward >= start, "\(text) start \(start) previous \(previous) forward \(forward)")
                }
            }
        }
    }
}
