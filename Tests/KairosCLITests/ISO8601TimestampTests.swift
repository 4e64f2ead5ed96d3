import Foundation
import KairosTestSupport
import Testing

@testable import Kairos
@testable import KairosCLI

@Suite(.timeLimit(.minutes(1))) struct ISO8601TimestampTests {
    @Test(arguments: [
        (0.0, "UTC", "1970-01-01T00:00:00+00:00"),
        (1_772_953_200, "America/New_York", "2026-03-08T03:00:00-04:00"),
        (1_772_953_199, "America/New_York", "2026-03-08T01:59:59-05:00"),
        (1_775_404_800, "Australia/Lord_Howe", "2026-04-06T02:30:00+10:30"),
        (1_767_225_600, "Australia/Lord_Howe", "2026-01-01T11:00:00+11:00"),
        (1_767_225_600, "Asia/Kathmandu", "2026-01-01T05:45:00+05:45"),
        (1_767_225_600, "Pacific/Chatham", "2026-01-01T13:45:00+13:45"),
        (1_767_225_600, "America/St_Johns", "2025-12-31T20:30:00-03:30"),
        (951_782_400, "UTC", "2000-02-29T00:00:00+00:00"),
        (-1, "UTC", "1969-12-31T23:59:59+00:00"),
        (-62_135_596_800, "UTC", "0001-01-01T00:00:00+00:00"),
        (253_402_300_800, "UTC", "+10000-01-01T00:00:00+00:00"),
        (-2_717_740_800, "America/New_York", "1883-11-17T11:03:58-04:56:02"),
        (1_772_953_200.75, "UTC", "2026-03-08T07:00:00+00:00"),
    ])
    func formatsWithOffsetAndSeconds(seconds: Double, zone: String, expected: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        #expect(ISO8601Timestamp.string(for: Date(timeIntervalSince1970: seconds), in: timeZone) == expected)
    }

    @Test func formattedCivilTimeAgreesWithCalendarOverFourCenturies() throws {
        let timeZone = try #require(TimeZone(identifier: "America/Santiago"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var generator = SplitMix(seed: 7)
        for _ in 0..<2_000 {
            let seconds = Double(Int64(generator.next() % 12_600_000_000) - 2_208_988_800)
            let date = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!,
                parts.hour!, parts.minute!, parts.second!)
            #expect(ISO8601Timestamp.string(for: date, in: timeZone).hasPrefix(expected))
        }
    }

    @Test(arguments: [
        ("2026-03-08T07:00:00Z", 1_772_953_200.0),
        ("2026-03-08T07:00:00z", 1_772_953_200),
        ("2026-03-08T03:00:00-04:00", 1_772_953_200),
        ("2026-03-08T03:00:00-0400", 1_772_953_200),
        ("2026-03-08T03:00-04", 1_772_953_200),
        ("2026-03-08 12:45:00+05:45", 1_772_953_200),
        ("2026-03-08T07:00:00.25Z", 1_772_953_200.25),
        ("2026-03-08T07:00:00,5+00:00", 1_772_953_200.5),
    ])
    func readsInstantsWithOffsets(text: String, seconds: Double) throws {
        let anyZone = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(ISO8601Timestamp.date(from: text, localTimeZone: anyZone) == Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: [
        ("2026-03-07T12:00", "2026-03-07T12:00:00-05:00"),
        ("2026-03-08", "2026-03-08T00:00:00-05:00"),
        ("2026-03-08T02:30:00", "2026-03-08T03:30:00-04:00"),
        ("2026-11-01T01:30:00", "2026-11-01T01:30:00-04:00"),
        ("2026-11-01T02:00:00", "2026-11-01T02:00:00-05:00"),
    ])
    func readsBareLocalTimesInTheGivenZone(text: String, expected: String) throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        let date = try #require(ISO8601Timestamp.date(from: text, localTimeZone: newYork))
        #expect(ISO8601Timestamp.string(for: date, in: newYork) == expected)
    }

    @Test(arguments: [
        "", "2026", "2026-3-8", "2026-02-29T00:00Z", "2026-13-01", "2026-04-31", "2026-03-08T24:00Z",
        "2026-03-08T12:60Z", "2026-03-08T12:00:60Z", "2026-03-08T12:00:00.Z", "2026-03-08T12:00+5",
        "2026-03-08T12:00+24:00", "2026-03-08T12:00Zjunk", "2026-03-08X12:00", "tomorrow",
    ])
    func rejectsMalformedTimestamps(text: String) throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(ISO8601Timestamp.date(from: text, localTimeZone: utc) == nil)
    }

    @Test func writtenTimestampsReadBackToTheSameInstant() throws {
        var generator = SplitMix(seed: 11)
        for zone in ["Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu", "Europe/London"] {
            let timeZone = try #require(TimeZone(identifier: zone))
            for _ in 0..<500 {
                let date = Date(timeIntervalSince1970: Double(generator.next() % 4_000_000_000))
                let text = ISO8601Timestamp.string(for: date, in: timeZone)
                #expect(ISO8601Timestamp.date(from: text, localTimeZone: timeZone) == date, "\(text)")
            }
        }
    }
}
