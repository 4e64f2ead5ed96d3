import Foundation
import Testing

@testable import KairosCron

/// Counting fire times without visiting each one (what misfire handling after a long outage uses).
@Suite(.timeLimit(.minutes(1))) struct CronFireCountTests {
    /// The cron count agrees with enumerating the dates, across DST transitions (skipped and
    /// repeated hours, Lord Howe's half hour), for expressions that follow elapsed time and
    /// fixed-time ones that follow the wall clock.
    @Test(
        arguments: ["*/20 * * * * *", "*/13 5-40 1-3,12 * * *", "0 * * * *", "30 2 * * *", "0 0,30 1-3 * * *", "15 10 1-7 * 0", "0 0 L * *"],
        ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "UTC"])
    func cronCountsAgreeWithEnumeration(_ text: String, zone: String) async throws {
        let expression = try CronExpression(text)
        let offsets = ZoneOffsets.of(TimeZone(identifier: zone)!)
        // Three days around each 2026 transition of the three zones, from and to mid-day.
        for (from, to) in [
            ("2026-03-07T13:17:09Z", "2026-03-10T11:00:00Z"), ("2026-03-28T05:00:01Z", "2026-03-31T00:00:00Z"),
            ("2026-04-04T00:00:00Z", "2026-04-06T22:30:00Z"), ("2026-10-03T07:00:01Z", "2026-10-05T23:59:59Z"),
            ("2026-10-24T12:00:00Z", "2026-10-27T12:34:56Z"), ("2026-10-31T20:00:00Z", "2026-11-03T06:00:00Z"),
            ("2026-01-01T00:00:00Z", "2026-01-12T09:00:00Z"),
        ] {
            let first = Int64(try Date(from, strategy: .iso8601).timeIntervalSince1970), last = Int64(try Date(to, strategy: .iso8601).timeIntervalSince1970)
            var enumerated = 0
            var cursor = expression.nextInstant(after: first - 1, in: offsets)
            while let current = cursor, current <= last {
                enumerated += 1
                cursor = expression.nextInstant(after: current, in: offsets)
                // Long enumerations leave the cooperative threads to the other tests now and then.
                if enumerated % 4096 == 0 { await Task.yield() }
            }
            #expect(expression.fireCount(from: first, through: last, in: offsets) == enumerated, "\(text) in \(zone) from \(from)")
        }
    }
}
