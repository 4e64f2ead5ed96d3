import Foundation
import Testing
@testable import Kairos
import KairosTestSupport

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
        #expect(value == .object([
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
}
