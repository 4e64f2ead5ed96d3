import Foundation
import Testing

@testable import Kairos
@testable import KairosCLI

/// Cases where the differential test (`Tests/Scripts/cron_oracle.py`) found cronsim wrong and
/// cronie's rules — checked by hand and by the script's brute-force search — give these times.
/// Pinned through `kairos next` so that the command and the engine both keep them.
@Suite(.timeLimit(.minutes(1))) struct CronOracleRegressionTests {
    @Test(arguments: [
        // Lord Howe falls back 30 minutes (02:00+11:00 -> 01:30+10:30): an hour-`*` job fires in
        // both copies of 01:57 (cronsim misses the second).
        (
            "57 * * * *", "Australia/Lord_Howe", "2021-04-03T23:26:00+11:00", 4,
            "2021-04-03T23:57:00+11:00 2021-04-04T00:57:00+11:00 2021-04-04T01:57:00+11:00 2021-04-04T01:57:00+10:30"
        ),
        // After the 30-minute change the hour still starts at :00 (cronsim lands on 03:30).
        (
            "*/31 3 * * *", "Australia/Lord_Howe", "2021-04-03T23:26:00+11:00", 2,
            "2021-04-04T03:00:00+10:30 2021-04-04T03:31:00+10:30"
        ),
        // Chatham falls back at 03:45+13:45 to 02:45+12:45: real-time minutes in both copies, in order.
        (
            "*/15 3 12,23,24,29 * 0,1,6", "Pacific/Chatham", "2028-04-02T02:51:00+13:45", 5,
            "2028-04-02T03:00:00+13:45 2028-04-02T03:15:00+13:45 2028-04-02T03:30:00+13:45 "
                + "2028-04-02T03:00:00+12:45 2028-04-02T03:15:00+12:45"
        ),
        // Just after the Chatham fall-back (cronsim loops for ever here).
        (
            "* 1,3,8,19 * feb-jun *", "Pacific/Chatham", "2025-04-06T02:56:00+12:45", 2,
            "2025-04-06T03:00:00+12:45 2025-04-06T03:01:00+12:45"
        ),
        // A fixed time whose first occurrence has passed when the start is in the second copy of
        // the repeated hour fires the next day (cronsim answers a time before the start).
        ("30 1 * * *", "Europe/London", "2024-10-27T01:04:47+00:00", 1, "2024-10-28T01:30:00+00:00"),
        // Santiago springs forward at midnight: 01:00 on that Sunday exists and matches.
        (
            "*/5 1 31 * 0,2,3,7", "America/Santiago", "2024-09-05T02:14:00-04:00", 2,
            "2024-09-08T01:00:00-03:00 2024-09-08T01:05:00-03:00"
        ),
        // cronie: a one-value range with a step is that value (cronsim reads 1-1/3 as 1/3).
        (
            "1-1/3 * * 1 1-5", "America/New_York", "2021-03-14T04:13:00-04:00", 2,
            "2022-01-03T00:01:00-05:00 2022-01-03T01:01:00-05:00"
        ),
        // cronie accepts a step larger than the field: */30 hours is hour 0.
        ("0 */30 * * *", "UTC", "2026-01-01T00:00:00Z", 2, "2026-01-02T00:00:00+00:00 2026-01-03T00:00:00+00:00"),
    ])
    func cronieTimesWhereCronsimDisagrees(expression: String, zone: String, after: String, count: Int, expected: String) {
        let result = runKairos(
            ["next", "--count", String(count), "--after", after, "--time-zone", zone], input: expression + "\n")
        #expect(result == CommandResult(status: 0, output: expected + "\n", errorOutput: ""))
    }
}
