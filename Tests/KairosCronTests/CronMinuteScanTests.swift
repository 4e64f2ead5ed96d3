import Foundation
import Testing

@testable import KairosCron

/// Checks the field-by-field search against the slowest possible reading of SPEC.md §1.5: every
/// minute around each DST transition of 2026, with offsets taken straight from `TimeZone`.
@Suite(.timeLimit(.minutes(1))) struct CronMinuteScanTests {
    static let zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham"]
    static let expressions = [
        "30 2 * * *", "0,30 0-3 * * *", "15 1,2 * * *", "45 2 * * *", "50 2,3 * * *", "0 0 * * *",
        "30 23 * * *", "*/20 * * * *", "* 2 * * *", "0 * * * *", "*/15 1 * * *", "5 */2 * * *",
        "* 3 * * *", "10 0 * * 0", "20 1-3 * * 6,0",
    ]

    @Test(arguments: zones)
    func searchAgreesWithMinuteScan(zone zoneName: String) throws {
        let zone = CronTesting.zone(zoneName)
        let transitions = CronTesting.transitions(in: zone, year: 2026)
        #expect(transitions.count == 2)
        for text in Self.expressions {
            let cron = try CronExpression(text)
            for transition in transitions {
                let low = transition.addingTimeInterval(-86_400), high = transition.addingTimeInterval(86_400)
                let expected = Self.scan(cron, zone: zone, from: low, to: high)
                var found: [Date] = []
                var date = low.addingTimeInterval(-1)
                while let next = cron.nextDate(after: date, in: zone), next < high {
                    found.append(next)
                    date = next
                }
                #expect(found == expected, "\(text) around \(transition) in \(zoneName)")
                var backward: [Date] = []
                date = high
                while let previous = cron.previousDate(before: date, in: zone), previous >= low {
                    backward.append(previous)
                    date = previous
                }
                #expect(backward.reversed() == expected, "\(text) backward around \(transition) in \(zoneName)")
            }
        }
    }

    /// The fire times in [low, high) by brute force: real-time expressions test every minute;
    /// wall-clock ones test every local minute and map it to its first occurrence, or to the end
    /// of the gap when the clock skips it.
    static func scan(_ cron: CronExpression, zone: TimeZone, from low: Date, to high: Date) -> [Date] {
        func offset(_ instant: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
        }
        let start = Int64(low.timeIntervalSince1970), end = Int64(high.timeIntervalSince1970)
        var fires = Set<Int64>()
        if !cron.followsWallClock {
            for instant in stride(from: start, to: end, by: 60) where cron.matchesWallClockTime(instant + offset(instant)) {
                fires.insert(instant)
            }
        } else {
            let offsets = Set(stride(from: start - 86_400, to: end + 86_400, by: 900).map(offset))
            for wall in stride(from: start + offset(start) - 7200, to: end + offset(end) + 7200, by: 60) where cron.matchesWallClockTime(wall) {
                if let first = offsets.map({ wall - $0 }).filter({ offset($0) == wall - $0 }).min() {
                    fires.insert(first)
                } else {
                    var instant = wall - offsets.max()!
                    while instant + offset(instant) <= wall { instant += 60 }
                    while (instant - 60) + offset(instant - 60) > wall { instant -= 60 }
                    fires.insert(instant)
                }
            }
        }
        return fires.filter { $0 >= start && $0 < end }.sorted().map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}
