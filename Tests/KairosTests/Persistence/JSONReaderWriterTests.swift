import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite("State JSON reader and writer", .timeLimit(.minutes(1)))
struct JSONReaderWriterTests {
    static let values: [JSONValue] = [
        nil, true, false, 0, -5, 0.1, -2.5e-8, 1e300, 9_007_199_254_740_991, 1_767_225_600.25,
        "", "plain", "quote \" backslash \\ slash / newline \n tab \t bell \u{7} nul \u{0}", "é 日本 🎉",
        [], [1, "two", nil, [false]], [:], ["a": ["b": ["c": [1, 2, 3]]], "": "empty key", "x\"y": 1],
    ]

    @Test(arguments: values)
    func writtenValueReadsBackUnchanged(value: JSONValue) throws {
        var writer = JSONWriter()
        writer.value(value)
        let read = try JSONReader.read(Data(writer.bytes)) { (reader: inout JSONReader) throws(JSONReadError) in
            try reader.readValue()
        }
        #expect(read == value)
        // And Foundation agrees on what the bytes mean.
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(writer.bytes)) == value)
    }

    @Test(arguments: values)
    func valueWrittenByFoundationReadsTheSame(value: JSONValue) throws {
        let data = try JSONEncoder().encode([value])
        let read = try JSONReader.read(data) { (reader: inout JSONReader) throws(JSONReadError) in
            try reader.readValue()
        }
        #expect(read == .array([value]))
    }

    @Test(arguments: [
        ("{\"a\":1", "expected ',' or '}'"), ("[1,]", "expected a value"), ("\"abc", "unterminated string"),
        ("{\"a\" 1}", "expected ':'"), ("[1] 2", "unexpected data after the document"), ("\"\\ud800\"", "unpaired surrogate"),
        ("nul", "expected a value"), ("", "unexpected end of data"), ("[1e999]", "invalid number"),
    ])
    func malformedJSONIsRefusedWithItsPosition(text: String, reason: String) {
        do {
            _ = try JSONReader.read(Data(text.utf8)) { (reader: inout JSONReader) throws(JSONReadError) in
                try reader.readValue()
            }
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.reason.contains(reason), "\(text): \(error)")
            #expect(error.offset <= text.utf8.count)
        }
    }
}

@Suite("State JSON reader: repeated values", .timeLimit(.minutes(1)))
struct JSONInterningTests {
    /// Reads the array `text` element by element, interning objects and arrays (at most `limit`).
    static func readInterned(_ text: String, limit: Int) throws(JSONReadError) -> [JSONValue] {
        try JSONReader.read(Data(text.utf8)) { (reader: inout JSONReader) throws(JSONReadError) in
            reader.internRepeatedValues(limit: limit)
            var values: [JSONValue] = []
            try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in values.append(try reader.readInternedValue()) }
            return values
        }
    }

    @Test(arguments: [0, 1, 2, 100])
    func internedReadGivesWhatAPlainReadGives(limit: Int) throws {
        // Repeats, near-repeats (one byte differs), brackets and escaped quotes inside strings,
        // nesting, scalars between containers.
        let text = #"""
            [{"kind":"cron","expression":"0 * * * *"},{"kind":"cron","expression":"0 * * * *"},
             {"kind":"cron","expression":"1 * * * *"},{"s":"}{\"]["},{"s":"}{\"]["},{"s":"}{\"][ "},
             [1,[2,{"a":[]}]],[1,[2,{"a":[]}]],7,"x",null,{},{},[],
             {"kind":"cron","expression":"0 * * * *"},{"s":"\\"},{"s":"\\"}]
            """#
        let plain = try JSONReader.read(Data(text.utf8)) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readValue() }
        let interned = try Self.readInterned(text, limit: limit)
        #expect(JSONValue.array(interned) == plain)
        #expect(interned.count == 17)
    }

    /// A group whose values do not repeat stops being interned after its trial; another group,
    /// and the values read after, are unaffected.
    @Test func groupsThatRarelyRepeatReadTheSameAsOthers() throws {
        let objects = (0..<5_000).map { #"[{"n":\#($0)},{"kind":"cron"}]"# } + (0..<50).map { #"[{"n":\#($0 % 3)},{"kind":"cron"}]"# }
        let text = "[" + objects.joined(separator: ",") + "]"
        let interned = try JSONReader.read(Data(text.utf8)) { (reader: inout JSONReader) throws(JSONReadError) in
            reader.internRepeatedValues(limit: 100)
            var values: [JSONValue] = []
            try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                    values.append(try reader.readInternedValue(group: values.count % 2))
                }
            }
            return values
        }
        let plain = try JSONReader.read(Data(text.utf8)) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readValue() }
        guard case .array(let pairs) = plain else { throw TestFailure("not an array") }
        #expect(
            interned
                == pairs.flatMap { pair -> [JSONValue] in
                    guard case .array(let members) = pair else { return [] }
                    return members
                })
    }

    @Test(arguments: [
        #"[{"a":1},{"a":1]"#, #"[{"a":1},{"a":1}"#, #"[{"a":1},{"a":1},{"a":1}x]"#, #"[{"a":"x"},{"a":"x}]"#,
    ])
    func aDamagedRepeatOfAValidObjectIsStillRefused(text: String) {
        #expect(throws: JSONReadError.self) { _ = try Self.readInterned(text, limit: 10) }
    }
}
