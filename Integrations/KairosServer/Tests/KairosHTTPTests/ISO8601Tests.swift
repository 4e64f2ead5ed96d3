import Foundation
import Testing

@testable import KairosHTTP

/// The API's dates, written by hand, are what `ISO8601DateFormatter` writes.
@Suite(.timeLimit(.minutes(1)))
struct ISO8601Tests {
    static func formatted(_ date: Date, fractions: Bool) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = fractions ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func check(_ date: Date) {
        let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
        #expect(ISO8601.format(date) == formatted(date, fractions: !whole), "\(date.timeIntervalSince1970)")
    }

    @Test func wholeSecondsAreWrittenAsTheFormatterWritesThem() {
        let edges: [Double] = [0, 59, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_400, 253_402_300_799]
        for seconds in edges { Self.check(Date(timeIntervalSince1970: seconds)) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 { Self.check(Date(timeIntervalSince1970: Double(Int.random(in: 0..<253_402_300_800, using: &generator)))) }
    }

    @Test func fractionsAreWrittenAsTheFormatterWritesThem() {
        let edges: [Double] = [0.5, 0.001, 0.0004, 0.9999, 1_767_225_600.001, 1_767_225_600.999, 1_767_225_600.9996]
        for seconds in edges { Self.check(Date(timeIntervalSince1970: seconds)) }
        for _ in 0..<5_000 {
            let milliseconds = Int.random(in: 0..<4_102_444_800_000)
            Self.check(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            Self.check(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800)))
        }
    }

    @Test func datesOutsideTheHandWrittenYearsStillFormat() {
        for seconds: Double in [-1, -86_400.5, 253_402_300_800] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(ISO8601.format(date) == Self.formatted(date, fractions: seconds.rounded(.down) != seconds))
        }
    }
}
