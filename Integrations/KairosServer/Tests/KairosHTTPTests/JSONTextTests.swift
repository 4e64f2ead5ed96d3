import Foundation
import Kairos
import Testing

@testable import KairosHTTP

/// The API's JSON text is `JSONEncoder`'s, byte for byte: `ETag`s and `Idempotency-Key` digests
/// written by earlier servers stay valid.
@Suite(.timeLimit(.minutes(1)))
struct JSONTextTests {
    static func encoded(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func check(_ value: JSONValue) throws {
        #expect(String(decoding: JSONText.bytes(of: value), as: UTF8.self) == (try encoded(value)))
    }

    @Test func stringsAreEscapedAsJSONEncoderEscapesThem() throws {
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        for text in ["", "plain", #"quote " and \ backslash"#, "a/b http://x/y", controls, "é ü 中文 🎉 \u{7F} \u{2028}"] {
            try Self.check(.string(text))
            try Self.check(.object([text: .string(text)]))
        }
    }

    @Test func numbersAreWrittenAsJSONEncoderWritesThem() throws {
        let numbers: [Double] = [0, -0.0, 1, -1, 0.1, 1.5, 1e15, 1e16, 1e21, 1.25e-7, 123_456_789.125, 9_007_199_254_740_992, .pi, -2.5e300]
        for number in numbers { try Self.check(.number(number)) }
        for integer in [0, 1, -1, Int.max, Int.min] { try Self.check(.integer(integer)) }
        for _ in 0..<2_000 {
            try Self.check(.number(Double.random(in: -1e6...1e6)))
            try Self.check(.number(Double(bitPattern: UInt64.random(in: 0...UInt64.max) & 0x7FEF_FFFF_FFFF_FFFF)))
        }
    }

    @Test func keysAreSortedAsJSONEncoderSortsThem() throws {
        let keys = ["paused", "pauseNote", "a10", "a2", "A", "a", "_x", "Z", "é", "e", "jobID", "jobId", "", "10", "9", "a b", "ab"]
        try Self.check(.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, .null) })))
    }

    @Test func aScheduleIsWrittenAsJSONEncoderWritesIt() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.create(shellSchedule(#"echo "hi" > /tmp/x"#, options: #"{"timeout": "90s", "retry": {"maxAttempts": 2}}"#))
            try Self.check(try await server.api.resource(id).json)
            try Self.check(try await server.api.resource(id).definition)
            try Self.check(.array([nil, true, false, ["nested": [1, 2.5, "x"]]]))
        }
    }
}
