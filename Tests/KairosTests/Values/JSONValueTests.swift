import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct JSONValueTests {
    struct Report: Codable, Equatable {
        var name: String
        var count: Int
        var ratio: Double
        var tags: [String]
        var owner: String?
        var nested: [String: [Int]]
    }

    @Test func encodableValueRoundTripsThroughJSONValue() throws {
        let report = Report(name: "nightly", count: 42, ratio: 0.25, tags: ["a", "b"], owner: nil, nested: ["x": [1, 2]])
        let value = try JSONValue(encoding: report)
        guard case .object(let members) = value else { throw TestFailure("not an object: \(value)") }
        #expect(members["name"] == .string("nightly"))
        #expect(members["count"] == .number(42))
        #expect(members["tags"] == .array([.string("a"), .string("b")]))
        #expect(try value.decode(Report.self) == report)
    }

    @Test func literalsBuildTheMatchingCases() {
        let value: JSONValue = ["flag": true, "n": 7, "x": 1.5, "s": "t", "list": [nil, 1], "empty": [:]]
        #expect(
            value
                == .object([
                    "flag": .bool(true), "n": .number(7), "x": .number(1.5), "s": .string("t"),
                    "list": .array([.null, .number(1)]), "empty": .object([:]),
                ]))
    }

    @Test(arguments: [
        (#"null"#, JSONValue.null),
        (#"true"#, .bool(true)),
        (#"-12.5"#, .number(-12.5)),
        (#""é \"q\"""#, .string("é \"q\"")),
        (#"[1,[2,{}],null]"#, .array([.number(1), .array([.number(2), .object([:])]), .null])),
        (#"{"a":{"b":[false]}}"#, .object(["a": .object(["b": .array([.bool(false)])])])),
    ])
    func jsonTextDecodesToTheMatchingValueAndRoundTrips(text: String, expected: JSONValue) throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == expected)
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) == expected)
    }

    @Test func decodingToTheWrongTypeThrows() {
        let value: JSONValue = ["count": "many"]
        #expect(throws: DecodingError.self) { try value.decode(Report.self) }
    }

    @Test(arguments: [1 << 53 + 1, Int.max, Int.min, -(1 << 53) - 1, 1 << 60])
    func integersADoubleWouldRoundAreHeldExactly(integer: Int) throws {
        let value = try JSONValue(encoding: ["n": integer])
        #expect(value == ["n": .integer(integer)])
        #expect(try value.decode([String: Int].self) == ["n": integer])
        let text = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: text) == value)
        #expect(String(decoding: text, as: UTF8.self) == #"{"n":\#(integer)}"#)
        let literal: JSONValue = [JSONValue(integer)]
        #expect(literal == .array([.integer(integer)]))
    }

    @Test func numbersADoubleHoldsStayNumbersAndEqualityIsNumeric() throws {
        let value = try JSONValue(encoding: [1 << 53, -7, 0])
        #expect(value == .array([.number(9_007_199_254_740_992), .number(-7), .number(0)]))
        #expect(JSONValue.integer(7) == .number(7) && JSONValue.number(7) == .integer(7))
        #expect(JSONValue.integer(1 << 53 + 1) != .number(9_007_199_254_740_992))
        #expect(Set<JSONValue>([.integer(7), .number(7), .number(7.5)]).count == 2)
        #expect(try JSONValue(encoding: -0.0).decode(Double.self).sign == .minus)
    }

    @Test(arguments: [
        (UInt64.max as any Encodable & Sendable, "18446744073709551615"),
        (UInt64(1) << 63 as any Encodable & Sendable, "9223372036854775808"),
        (Decimal(string: "3.14159265358979323846")! as any Encodable & Sendable, "3.14159265358979323846"),
    ])
    func aNumberNeitherIntNorDoubleHoldsIsRefused(value: any Encodable & Sendable, number: String) {
        #expect(throws: JSONValue.InexactNumberError(number: number)) { try JSONValue(encoding: value) }
    }

    @Test func valuesJSONEncoderWritesInOtherFormsAreAccepted() throws {
        #expect(try JSONValue(encoding: [1e300, 0.1, .leastNonzeroMagnitude, 1e18]).decode([Double].self) == [1e300, 0.1, .leastNonzeroMagnitude, 1e18])
        #expect(try JSONValue(encoding: Float(0.1)).decode(Float.self) == 0.1)
        #expect(try JSONValue(encoding: Decimal(string: "12.50")!).decode(Decimal.self) == Decimal(string: "12.5"))
        #expect(try JSONValue(encoding: ["a\"1": "x\\2 -3"]) == ["a\"1": "x\\2 -3"])
    }
}
