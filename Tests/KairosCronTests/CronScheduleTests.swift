import Foundation
import Testing

@testable import KairosCron

/// Fire times in UTC (no DST): syntax forms, the day rule, leap years, month ends, extensions.
@Suite(.timeLimit(.minutes(1))) struct CronScheduleTests {
    @Test(arguments: [
        // Plain fields. 2026-01-01 is a Thursday.
        ("* * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z"]),
        ("*/15 * * * *", "2026-01-01T00:07:00Z", ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"]),
        ("5/20 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z"]),
        ("0 9 * * mon-fri", "2026-01-01T09:00:00Z", ["2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"]),
        ("30 2 * * *", "2026-01-01T02:30:00Z", ["2026-01-02T02:30:00Z", "2026-01-03T02:30:00Z"]),
        ("0,30 9-10 * * *", "2026-01-01T08:00:00Z", ["2026-01-01T09:00:00Z", "2026-01-01T09:30:00Z", "2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z", "2026-01-02T09:00:00Z"]),
        ("0 0 1 jan,jul *", "2026-01-01T00:00:00Z", ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        ("0 12 * */4 *", "2026-04-30T12:00:00Z", ["2026-05-01T12:00:00Z", "2026-05-02T12:00:00Z"]),
        ("@monthly", "2026-01-15T00:00:00Z", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        ("@weekly", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        ("@yearly", "2026-01-01T00:00:00Z", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
        // Seconds.
        ("*/20 * * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"]),
        ("30 59 23 31 12 *", "2026-06-01T00:00:00Z", ["2026-12-31T23:59:30Z", "2027-12-31T23:59:30Z"]),
        // Month ends and leap years.
        ("0 0 31 * *", "2026-01-31T00:00:00Z", ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z"]),
        ("0 0 L * *", "2026-01-01T00:00:00Z", ["2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"]),
        ("0 0 L 2 *", "2027-01-01T00:00:00Z", ["2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"]),
        ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"]),
        ("0 0 29 2 *", "2096-03-01T00:00:00Z", ["2104-02-29T00:00:00Z"]),
        ("0 0 29 2 *", "2399-01-01T00:00:00Z", ["2400-02-29T00:00:00Z"]),
        // Extensions. January 2026 starts on a Thursday, February and March on a Sunday.
        ("0 0 LW * *", "2026-01-01T00:00:00Z", ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z", "2026-05-29T00:00:00Z"]),
        ("0 0 1W * *", "2026-01-01T00:00:00Z", ["2026-02-02T00:00:00Z", "2026-03-02T00:00:00Z"]),
        ("0 0 1W 8 *", "2026-01-01T00:00:00Z", ["2026-08-03T00:00:00Z"]),
        ("0 0 31W * *", "2026-01-01T00:00:00Z", ["2026-01-30T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-29T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"]),
        ("0 0 * * 1#2", "2026-01-01T00:00:00Z", ["2026-01-12T00:00:00Z", "2026-02-09T00:00:00Z", "2026-03-09T00:00:00Z"]),
        ("0 0 * * 5L", "2026-01-01T00:00:00Z", ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"]),
        ("0 0 * 2 5#5", "2026-01-01T00:00:00Z", ["2036-02-29T00:00:00Z", "2064-02-29T00:00:00Z"]),
        ("0 0 ? * 5", "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z"]),
        // Extensions inside lists, and names with # and L.
        ("0 0 1,L * *", "2026-01-15T00:00:00Z", ["2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z"]),
        ("0 0 10,LW * *", "2026-01-15T00:00:00Z", ["2026-01-30T00:00:00Z", "2026-02-10T00:00:00Z", "2026-02-27T00:00:00Z"]),
        ("0 0 1W,15W 3 *", "2026-01-01T00:00:00Z", ["2026-03-02T00:00:00Z", "2026-03-16T00:00:00Z", "2027-03-01T00:00:00Z", "2027-03-15T00:00:00Z"]),
        ("0 0 * * mon#1,friL", "2026-01-01T00:00:00Z", ["2026-01-05T00:00:00Z", "2026-01-30T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-27T00:00:00Z"]),
        ("0 0 ? 2 sun#5", "2026-01-01T00:00:00Z", ["2032-02-29T00:00:00Z"]),
        // Decades between fire times.
        ("0 0 29 2 */7", "2026-01-01T00:00:00Z", ["2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z", "2128-02-29T00:00:00Z"]),
    ])
    func firesAtExpectedTimes(expression: String, start: String, expected: [String]) throws {
        #expect(try CronTesting.next(expression, after: start, count: expected.count) == expected)
    }

    /// Vixie/cronie: both day fields restricted means either may match; a `*` (or `?`) in one
    /// means both must. March 2026 has Fridays on the 6th, 13th, 20th and 27th.
    @Test(arguments: [
        (
            "0 0 13 * 5",
            [
                "2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z", "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z",
                "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z",
            ]
        ),
        ("0 0 */2 * 5", ["2026-03-13T00:00:00Z", "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z", "2026-04-17T00:00:00Z"]),
        ("0 0 13 * */7", ["2026-09-13T00:00:00Z", "2026-12-13T00:00:00Z"]),
        ("0 0 13 * *", ["2026-03-13T00:00:00Z", "2026-04-13T00:00:00Z"]),
        ("0 0 * * 5", ["2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z"]),
        ("0 0 ? * 5", ["2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z"]),
        ("0 0 L * 1#1", ["2026-03-02T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-06T00:00:00Z", "2026-04-30T00:00:00Z"]),
    ])
    func dayOfMonthAndDayOfWeekFollowVixieRule(expression: String, expected: [String]) throws {
        #expect(try CronTesting.next(expression, after: "2026-03-01T00:00:00Z", count: expected.count) == expected)
    }

    @Test(arguments: [
        ("0 9 * * mon-fri", "2026-01-05T09:00:00Z", ["2026-01-02T09:00:00Z", "2026-01-01T09:00:00Z", "2025-12-31T09:00:00Z"]),
        ("0 9 * * mon-fri", "2026-01-05T09:00:00.500Z", ["2026-01-05T09:00:00Z", "2026-01-02T09:00:00Z"]),
        ("0 0 29 2 */7", "2128-01-01T00:00:00Z", ["2088-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2004-02-29T00:00:00Z"]),
        ("0 0 L * *", "2026-03-31T00:00:00Z", ["2026-02-28T00:00:00Z", "2026-01-31T00:00:00Z"]),
        ("*/20 * * * * *", "2026-01-01T00:00:00Z", ["2025-12-31T23:59:40Z", "2025-12-31T23:59:20Z"]),
    ])
    func previousDateWalksBackward(expression: String, start: String, expected: [String]) throws {
        #expect(try CronTesting.previous(expression, before: start, count: expected.count) == expected)
    }

    @Test(arguments: [
        ("0 9 * * mon-fri", "2026-01-05T09:00:00Z", true),
        ("0 9 * * mon-fri", "2026-01-05T09:00:00.750Z", true),
        ("0 9 * * mon-fri", "2026-01-05T09:00:30Z", false),
        ("0 9 * * mon-fri", "2026-01-03T09:00:00Z", false),
        ("0 0 L 2 *", "2028-02-29T00:00:00Z", true),
        ("0 0 L 2 *", "2028-02-28T00:00:00Z", false),
        ("0 0 13 * 5", "2026-03-20T00:00:00Z", true),
        ("30 * * * * *", "2026-03-20T07:07:30Z", true),
    ])
    func matchesExactlyTheFireTimes(expression: String, date: String, expected: Bool) throws {
        #expect(try CronExpression(expression).matches(CronTesting.date(date), in: CronTesting.zone("UTC")) == expected)
    }

    @Test func outOfRangeDatesHaveNoFireTime() throws {
        let cron = try CronExpression("0 0 1 1 *")
        let utc = CronTesting.zone("UTC")
        #expect(cron.nextDate(after: CronTesting.date("9999-06-01T00:00:00Z"), in: utc) == nil)
        #expect(cron.nextDate(after: .distantFuture, in: utc) == CronTesting.date("4002-01-01T00:00:00Z"))
        #expect(cron.nextDate(after: Date(timeIntervalSince1970: 1e15), in: utc) == nil)
        // 0001-01-01T00:00:00Z in the proleptic Gregorian calendar (Foundation's formatters use Julian dates there).
        let yearOne = Date(timeIntervalSince1970: -62_135_596_800)
        #expect(cron.previousDate(before: yearOne.addingTimeInterval(86_400 * 100), in: utc) == yearOne)
        #expect(cron.previousDate(before: yearOne, in: utc) == nil)
        #expect(cron.nextDate(after: Date(timeIntervalSince1970: .nan), in: utc) == nil)
    }

    @Test func datesAreLazyAndEndAtTheLastSupportedYear() throws {
        let cron = try CronExpression("@yearly")
        let utc = CronTesting.zone("UTC")
        let all = Array(cron.dates(after: CronTesting.date("9997-06-01T00:00:00Z"), in: utc))
        #expect(all.map { CronTesting.text($0, in: utc) } == ["9998-01-01T00:00:00Z", "9999-01-01T00:00:00Z"])
        let everySecond = try CronExpression("* * * * * *")
        let first = everySecond.dates(after: CronTesting.date("2026-01-01T00:00:00.250Z"), in: utc).prefix(2)
        #expect(first.map { CronTesting.text($0, in: utc) } == ["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"])
    }

    /// An expression that only matches times a zone skips never fires there (New York skips 02:xx
    /// on the second Sunday of March); the search ends instead of running forever.
    @Test func expressionOnlyInSkippedTimesNeverFires() throws {
        let cron = try CronExpression("* 2 * 3 0#2")
        let newYork = CronTesting.zone("America/New_York")
        #expect(cron.nextDate(after: CronTesting.date("2026-01-01T00:00:00Z"), in: newYork) == nil)
        #expect(cron.nextDate(after: CronTesting.date("2026-01-01T00:00:00Z"), in: CronTesting.zone("UTC")) != nil)
    }

    /// A fire time is a whole second: the first at or after it is itself, and one a step of the
    /// `Date` before or after is on the right side of it (the conversion to seconds since 1970
    /// used to round the step before a whole second onto it).
    @Test func fireTimesAtOrAfterAndJustAroundAWholeSecondAreExact() throws {
        let cron = try CronExpression("0 * * * *")
        let utc = CronTesting.zone("UTC")
        for text in ["2026-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "1999-12-31T23:00:00Z", "2262-04-11T23:00:00Z"] {
            let fire = CronTesting.date(text)
            let before = Date(timeIntervalSinceReferenceDate: fire.timeIntervalSinceReferenceDate.nextDown)
            let after = Date(timeIntervalSinceReferenceDate: fire.timeIntervalSinceReferenceDate.nextUp)
            #expect(cron.firstDate(atOrAfter: fire, in: utc) == fire, "\(text)")
            #expect(cron.nextDate(after: before, in: utc) == fire, "\(text)")
            #expect(cron.firstDate(atOrAfter: after, in: utc) == fire.addingTimeInterval(3600), "\(text)")
            #expect(cron.nextDate(after: fire, in: utc) == fire.addingTimeInterval(3600), "\(text)")
            #expect(cron.previousDate(before: after, in: utc) == fire, "\(text)")
            #expect(cron.previousDate(before: fire, in: utc) == fire.addingTimeInterval(-3600), "\(text)")
            #expect(cron.matches(fire, in: utc) && !cron.matches(before, in: utc), "\(text)")
        }
    }
}
