import Foundation
import KairosTestSupport
import Testing

@testable import KairosCron

@Suite(.timeLimit(.minutes(1))) struct CronExplanationTests {
    @Test(arguments: [
        ("0 9 * * mon-fri", "At 09:00, Monday through Friday"),
        ("*/15 9-17 L * *", "Every 15 minutes, between 09:00 and 17:59, on the last day of the month"),
        ("0 0 13 * 5", "At 00:00, on day 13 of the month, and on Friday"),
        ("0 0 29 2 */7", "At 00:00, on day 29 of the month, if it is Sunday, in February"),
        ("5 */2 * * *", "At minute 5, every 2 hours"),
        ("0 0 * * 5L", "At 00:00, on the last Friday of the month"),
        ("0 0 LW * *", "At 00:00, on the last weekday of the month"),
        ("0 0 15W * *", "At 00:00, on the weekday nearest day 15 of the month"),
        ("0 0 * * 1#2", "At 00:00, on the second Monday of the month"),
        ("0 9,17 * jan,jul *", "At 09:00 and 17:00, in January and July"),
        ("* * * * *", "Every minute"),
        ("0 * * * *", "Every hour"),
        ("15 * * * *", "At minute 15 of every hour"),
        ("*/5 * * * *", "Every 5 minutes"),
        ("10-20 * * * *", "At minutes 10 through 20"),
        ("4-56/4 * * * *", "Every 4 minutes from minute 4 through 56"),
        ("0 8-18/2 * * 1-5", "At 08:00, 10:00, 12:00, 14:00, 16:00 and 18:00, Monday through Friday"),
        ("@weekly", "At 00:00, Sunday"),
        ("@yearly", "At 00:00, on day 1 of the month, in January"),
        ("0 12 1,15 * *", "At 12:00, on days 1 and 15 of the month"),
        ("*/10 * * * * *", "Every 10 seconds"),
        ("30 0 9 * * *", "At 09:00:30"),
        ("0 0 * * 0,6", "At 00:00, Sunday and Saturday"),
        ("*/10 */5 * * * *", "Every 10 seconds, in every 5th minute"),
        ("0 0 */2 * 1-5", "At 00:00, on every 2nd day of the month from day 1 through day 31, if it is Monday through Friday"),
        ("0 0,12 1 */2 *", "At 00:00 and 12:00, on day 1 of the month, in every 2nd month from January through November"),
        ("23 0-20/2 * * *", "At minute 23, every 2 hours from 00:00 through 20:59"),
        ("*/5 9,17 * * *", "Every 5 minutes, in the hours 09:00-09:59 and 17:00-17:59"),
        ("0 0 12 ? * 2#1", "At 12:00, on the first Tuesday of the month"),
        ("0 0 */2 * 1,5", "At 00:00, on every 2nd day of the month from day 1 through day 31, if it is Monday or Friday"),
    ])
    func explainsInEnglish(expression: String, explanation: String) throws {
        #expect(try CronExpression(expression).explanation == explanation)
    }

    @Test func equalMeaningIsEqualAndHashesEqually() throws {
        let spellings = ["0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "@weekly", "0 0 ? * SUN", "0 0 * * 0,7"]
        let expressions = try spellings.map(CronExpression.init)
        #expect(Set(expressions).count == 1)
        #expect(try CronExpression("0 0 1-31 * mon") == CronExpression("@daily"))
        #expect(try CronExpression("0 * * * * *") == CronExpression("* * * * *"))
    }

    @Test func differentMeaningIsNotEqual() throws {
        // Fixed hour (wall clock) and `*` hour (real time) differ across DST.
        #expect(try CronExpression("0 0-23 * * *") != CronExpression("0 * * * *"))
        // OR versus AND day rule.
        #expect(try CronExpression("0 0 1 * 1") != CronExpression("0 0 */31 * 1"))
        // A 6-field expression follows real time.
        #expect(try CronExpression("0 0 9 * * *") != CronExpression("0 9 * * *"))
    }

    @Test func codableRoundTripsThroughNormalizedText() throws {
        struct Job: Codable, Equatable { let schedule: CronExpression }
        let job = Job(schedule: try CronExpression("0 9 * * MON-FRI"))
        let data = try JSONEncoder().encode(job)
        #expect(String(decoding: data, as: UTF8.self) == #"{"schedule":"0 9 * * 1-5"}"#)
        #expect(try JSONDecoder().decode(Job.self, from: data) == job)
    }

    @Test func decodingInvalidTextThrowsTheParseMessage() {
        let data = Data(#"{"schedule":"0 9 * * monday"}"#.utf8)
        struct Job: Codable { let schedule: CronExpression }
        do {
            _ = try JSONDecoder().decode(Job.self, from: data)
            Issue.record("decoding should fail")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.debugDescription.contains("full day names are not accepted; use mon"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// The normalized text of random expressions parses back to an equal expression.
    @Test func normalizedTextRoundTripsForGeneratedExpressions() throws {
        var generator = SplitMix(seed: 42)
        let pieces = [
            ["*", "*/7", "0", "5-10", "1,3,5", "*/7,3", "59", "10/15"],
            ["*", "*/5", "0", "9-17", "0,12", "*/6,1", "23", "4/4"],
            ["*", "?", "1", "L", "LW", "15W", "*/2", "1-7", "31", "1,L", "*/10,L"],
            ["*", "1", "2", "jan-mar", "*/3", "feb,aug", "12"],
            ["*", "?", "mon-fri", "0", "7", "5L", "1#2", "*/2", "sat,sun", "fri#5,1", "*/3,5L"],
        ]
        for _ in 0..<2000 {
            var fields = pieces.map { $0[Int(generator.next() % UInt64($0.count))] }
            if generator.next() % 4 == 0 { fields.insert(pieces[0][Int(generator.next() % UInt64(pieces[0].count))], at: 0) }
            let text = fields.joined(separator: " ")
            guard let expression = try? CronExpression(text) else { continue }
            let reparsed = try CronExpression(expression.description)
            #expect(reparsed == expression, "\(text) → \(expression.description)")
            #expect(reparsed.description == expression.description)
        }
    }
}
