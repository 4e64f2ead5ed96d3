import Foundation
import Testing
@testable import Kairos

@Suite("State JSON reader and writer")
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
