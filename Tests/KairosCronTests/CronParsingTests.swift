import Foundation
import Testing

@testable import KairosCron

@Suite(.timeLimit(.minutes(1))) struct CronParsingTests {
    /// Every syntax form, with the normalized text it must produce.
    @Test(arguments: [
        ("* * * * *", "* * * * *"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("0 9 * * mon-fri", "0 9 * * 1-5"),
        ("0 9 * * MON-Fri", "0 9 * * 1-5"),
        ("0 0 1 jan *", "0 0 1 1 *"),
        ("0 12 * JAN-MAR,oct *", "0 12 * 1-3,10 *"),
        ("0 12 * */3 *", "0 12 * */3 *"),
        ("0,30 9-17 * * *", "0,30 9-17 * * *"),
        ("0 9-17/2 * * *", "0 9-17/2 * * *"),
        ("5/20 * * * *", "5-45/20 * * * *"),
        ("1-5,3 * * * *", "1-5 * * * *"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * sun", "0 0 * * 0"),
        ("0 0 * * 0-7", "0 0 * * *"),
        ("0 0 * * 5-7", "0 0 * * 0,5,6"),
        ("0 0 * * 1/2", "0 0 * * 0,1,3,5"),
        ("@yearly", "0 0 1 1 *"),
        ("@ANNUALLY", "0 0 1 1 *"),
        ("@Monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("30 * * * * *", "30 * * * * *"),
        ("0 * * * * *", "* * * * *"),
        ("*/10 * * * * *", "*/10 * * * * *"),
        ("0 0 9 * * *", "0 0 9 * * *"),
        ("0 0 L * *", "0 0 L * *"),
        ("0 0 l * *", "0 0 L * *"),
        ("0 0 LW * *", "0 0 LW * *"),
        ("0 0 15W * *", "0 0 15W * *"),
        ("0 0 1,L * *", "0 0 1,L * *"),
        ("0 0 * * 5L", "0 0 * * 5L"),
        ("0 0 * * friL", "0 0 * * 5L"),
        ("0 0 * * 7L", "0 0 * * 0L"),
        ("0 0 * * 1#2", "0 0 * * 1#2"),
        ("0 0 * * mon#2,fri#4", "0 0 * * 1#2,5#4"),
        ("0 0 ? * mon", "0 0 * * 1"),
        ("0 0 1 * ?", "0 0 1 * *"),
        ("0 0 1,15 * mon", "0 0 1,15 * 1"),
        ("0 0 */2 * mon", "0 0 */2 * 1"),
        ("0 0 1-31 * mon", "0 0 * * *"),
        ("0 0-23 * * *", "0 0-23 * * *"),
        ("0 */1 * * *", "0 * * * *"),
        ("0-59 0 * * *", "0-59 0 * * *"),
        ("*/7,3 9 * * *", "*/7,3 9 * * *"),
        ("0 2 */31 2 2", "0 2 */31 2 2"),
        ("*/61 * * * *", "0 * * * *"),
        ("0 */30 * * *", "0 0 0 * * *"),
        ("0 9 1-10/99 * *", "0 9 1 * *"),
        ("0 2 1 2 */8", "0 2 */31 2 0"),
        ("  0   9\t* *  1  ", "0 9 * * 1"),
    ])
    func normalizesEverySyntaxForm(input: String, normalized: String) throws {
        let expression = try CronExpression(input)
        #expect(expression.description == normalized)
        #expect(try CronExpression(normalized) == expression)
    }

    /// Every error kind: the reason, the field and its position, the token and its offset.
    @Test(
        arguments: [
            ("", CronParseError.Reason.empty, nil, nil, "", 0),
            ("   ", .empty, nil, nil, "   ", 0),
            ("* * * *", .wrongFieldCount(4), nil, nil, "* * * *", 0),
            ("* * * * * * *", .wrongFieldCount(7), nil, nil, "* * * * * * *", 0),
            ("@daily 5", .wrongFieldCount(2), nil, nil, "@daily 5", 0),
            ("@often", .unknownMacro, nil, nil, "@often", 0),
            (" @reboot", .unknownMacro, nil, nil, "@reboot", 1),
            ("1,,2 * * * *", .emptyListItem, .minute, 1, "1,,2", 0),
            ("0 5, * * *", .emptyListItem, .hour, 2, "5,", 2),
            ("1- * * * *", .missingValue, .minute, 1, "1-", 0),
            ("0 0 * * 5#", .missingValue, .dayOfWeek, 5, "5#", 8),
            ("*/ * * * *", .missingValue, .minute, 1, "*/", 0),
            ("5) * * * *", .unexpectedCharacter(")"), .minute, 1, "5)", 0),
            ("*5 * * * *", .unexpectedCharacter("5"), .minute, 1, "*5", 0),
            ("60 * * * *", .outOfRange(0...59), .minute, 1, "60", 0),
            ("* 24 * * *", .outOfRange(0...23), .hour, 2, "24", 2),
            ("* * 0 * *", .outOfRange(1...31), .dayOfMonth, 3, "0", 4),
            ("* * * 13 *", .outOfRange(1...12), .month, 4, "13", 6),
            ("* * * * 8", .outOfRange(0...7), .dayOfWeek, 5, "8", 8),
            ("60 * * * * *", .outOfRange(0...59), .second, 1, "60", 0),
            ("0 0 * * 5#6", .outOfRange(1...5), .dayOfWeek, 5, "5#6", 8),
            ("0 0 * * 5#0", .outOfRange(1...5), .dayOfWeek, 5, "5#0", 8),
            ("5-1 * * * *", .reversedRange, .minute, 1, "5-1", 0),
            ("0 0 * * fri-mon", .reversedRange, .dayOfWeek, 5, "fri-mon", 8),
            ("*/0 * * * *", .zeroStep, .minute, 1, "*/0", 0),
            ("0 0 * * 1-5/0", .zeroStep, .dayOfWeek, 5, "1-5/0", 8),
            ("0 0 * * */mon", .nameAsStep, .dayOfWeek, 5, "*/mon", 8),
            ("0 9 * * monday", .fullName(abbreviation: "mon"), .dayOfWeek, 5, "monday", 8),
            ("0 9 * * 1,Tuesday", .fullName(abbreviation: "tue"), .dayOfWeek, 5, "Tuesday", 10),
            ("0 9 * january *", .fullName(abbreviation: "jan"), .month, 4, "january", 6),
            ("0 9 * foo *", .unknownName, .month, 4, "foo", 6),
            ("0 9 * * xyz", .unknownName, .dayOfWeek, 5, "xyz", 8),
            ("* jan * * *", .nameNotAllowed, .hour, 2, "jan", 2),
            ("L * * * *", .extensionNotAllowed, .minute, 1, "L", 0),
            ("? * * * *", .extensionNotAllowed, .minute, 1, "?", 0),
            ("* * * * L", .extensionNotAllowed, .dayOfWeek, 5, "L", 8),
            ("* * 5#2 * *", .extensionNotAllowed, .dayOfMonth, 3, "5#2", 4),
            ("* * * * 5W", .extensionNotAllowed, .dayOfWeek, 5, "5W", 8),
            ("0 0 30 2 *", .neverFires, nil, nil, "0 0 30 2 *", 0),
            ("0 0 31 4 *", .neverFires, nil, nil, "0 0 31 4 *", 0),
            ("0 0 31 4,6,9,11 *", .neverFires, nil, nil, "0 0 31 4,6,9,11 *", 0),
            ("0 0 LW * */6", .neverFires, nil, nil, "0 0 LW * */6", 0),
            ("0 0 LW * sat,sun", nil, nil, nil, "", 0),
            ("0 0 * * sat,sun", nil, nil, nil, "", 0),
        ] as [(String, CronParseError.Reason?, CronField?, Int?, String, Int)])
    func rejectsWithTypedError(input: String, reason: CronParseError.Reason?, field: CronField?, position: Int?, token: String, offset: Int) {
        do {
            _ = try CronExpression(input)
            #expect(reason == nil, "\(input) should be rejected")
        } catch {
            #expect(error.reason == reason)
            #expect(error.field == field)
            #expect(error.fieldPosition == position)
            #expect(error.token == token)
            #expect(error.offset == offset)
        }
    }

    @Test func errorDescriptionNamesFieldTokenColumnAndFix() {
        #expect(throws: CronParseError.self) { try CronExpression("0 9 1 * monday") }
        do {
            _ = try CronExpression("0 9 1 * monday")
        } catch {
            #expect(error.description == "day-of-week field (5th): \"monday\" at column 9: full day names are not accepted; use mon")
        }
        do {
            _ = try CronExpression("0 0 9 * * 1-7,monday")
        } catch {
            #expect(error.description == "day-of-week field (6th): \"monday\" at column 15: full day names are not accepted; use mon")
        }
        do {
            _ = try CronExpression("0 0 30 2 *")
        } catch {
            #expect(error.description.hasPrefix("\"0 0 30 2 *\" at column 1: the expression can never fire"))
        }
    }

    /// Patterns that are rare but satisfiable must be accepted, however far apart their dates are.
    @Test(arguments: ["0 0 29 2 */7", "0 0 * 2 5#5", "0 0 29 2 mon#5", "0 0 31W 2-4 *", "0 0 L 2 6L"])
    func acceptsRareButSatisfiablePatterns(input: String) throws {
        let expression = try CronExpression(input)
        let utc = TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: 0)
        let next = try #require(expression.nextDate(after: start, in: utc))
        #expect(expression.matches(next, in: utc))
        #expect(next.timeIntervalSince(start) < 400 * 366 * 86_400)
    }

    /// The never-fires decision relies on every month shape occurring in the 400-year cycle.
    @Test func everyMonthShapeOccursInTheGregorianCycle() {
        for month in 1...12 {
            let shapes = CronDays.occurringMonthShapes[month]
            let lengths: [Int] = month == 2 ? [28, 29] : [CivilDate.daysInMonth(year: 2001, month: month)]
            for length in lengths {
                for weekday in 0..<7 {
                    #expect(shapes & (1 << UInt32((length - 28) * 7 + weekday)) != 0, "month \(month) length \(length) weekday \(weekday)")
                }
            }
            #expect(shapes.nonzeroBitCount == 7 * lengths.count)
        }
    }
}
