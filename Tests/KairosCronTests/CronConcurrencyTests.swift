import Foundation
import Testing

@testable import KairosCron

@Suite(.timeLimit(.minutes(1))) struct CronConcurrencyTests {
    /// Many threads computing fire times in zones (and years) not yet cached agree with a
    /// single-threaded computation.
    @Test func concurrentCallsShareTheZoneCacheSafely() async throws {
        let cron = try CronExpression("30 2 * * *")
        let zones = ["Europe/Berlin", "America/Chicago", "Australia/Sydney", "Pacific/Auckland"].map(CronTesting.zone)
        let starts = (0..<8).map { CronTesting.date("\(2150 + $0 * 7)-03-01T00:00:00Z") }
        let results = await withTaskGroup(of: [[Date?]].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    zones.map { zone in starts.reversed().map { cron.nextDate(after: $0, in: zone) }.reversed() }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let expected = zones.map { zone in starts.map { cron.nextDate(after: $0, in: zone) } }
        #expect(expected.allSatisfy { $0.allSatisfy { $0 != nil } })
        for result in results {
            #expect(result == expected)
        }
    }
}
