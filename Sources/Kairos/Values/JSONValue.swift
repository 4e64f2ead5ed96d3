import Foundation

/// A JSON document as a Swift value: the type of job arguments, event payloads and persisted
/// results.
///
/// It round-trips through `JSONEncoder`/`JSONDecoder` unchanged and can be written as a literal:
///
/// ```swift
/// let arguments: JSONValue = ["path": "/var/log", "keepDays": 7]
/// ```
///
/// Numbers are `.number`, except integers beyond ±2^53 (where a `Double` starts to round, as for
/// 2^53 + 1 or `Int.max`): those are `.integer`, so every `Int` round-trips exactly. Equality is
/// numeric: `.integer(7) == .number(7)`.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    /// A number; decoding and literals produce it for every number but integers beyond ±2^53.
    case number(Double)
    /// An integer beyond ±2^53, which a `Double` may round; decoding and literals produce it only
    /// for those, so code matching `.number` keeps working for everyday integers.
    case integer(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Creates the value of an integer: `.number` up to ±2^53, `.integer` beyond.
    public init(_ integer: Int) {
        self = integer.magnitude <= 1 << 53 ? .number(Double(integer)) : .integer(integer)
    }

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            // A Double rounds integers beyond 2^53; reading those as Int keeps them exact.
            if abs(value) >= 0x1p53, let integer = try? container.decode(Int.self) {
                self = JSONValue(integer)
            } else {
                self = .number(value)
            }
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// Encodes the value as the JSON it represents.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Decodes a `Decodable` value from this JSON value.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let data = try JSONEncoder().encode(self)
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// Encodes an `Encodable` value as a JSON value.
    ///
    /// Throws ``InexactNumberError`` rather than change a number of the encoding that neither an
    /// `Int` nor a `Double` holds exactly (an integer above `Int.max`, a long `Decimal`), so that
    /// ``decode(_:)`` gives back the value that was encoded.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        if let inexact = Self.firstInexactNumber(in: data) { throw InexactNumberError(number: inexact) }
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The error of ``init(encoding:)`` for a number a JSON value cannot hold exactly.
    public struct InexactNumberError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The number, as the value encoded it.
        public let number: String

        /// `the number 18446744073709551615 cannot be held exactly (JSONValue numbers are Int or Double)`.
        public var description: String {
            "the number \(number) cannot be held exactly (JSONValue numbers are Int or Double)"
        }
    }

    /// The first number token of JSON text `data` (as `JSONEncoder` writes it) that decoding
    /// would change, if any.
    static func firstInexactNumber(in data: Data) -> String? {
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            } else if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let start = index
                while index < bytes.count, Self.numberBytes.contains(bytes[index]) { index += 1 }
                let token = String(decoding: bytes[start..<index], as: UTF8.self)
                if !Self.holdsExactly(token) { return token }
            } else {
                index += 1
            }
        }
        return nil
    }

    private static let numberBytes = Set("0123456789+-.eE".utf8)

    /// Whether decoding the number `token` gives a `JSONValue` of exactly its value.
    private static func holdsExactly(_ token: String) -> Bool {
        if Int(token) != nil { return true }
        guard let double = Double(token), double.isFinite else { return false }
        if double.description == token { return true }
        // An integer beyond Int would be read back from the Double's exponent form, which
        // integer decoding does not accept exactly.
        if !token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return false }
        guard let written = Decimal(string: token), let held = Decimal(string: double.description) else { return false }
        return written == held
    }
}

extension JSONValue {
    /// Numeric equality: `.integer(n)` equals `.number(x)` when `x` is exactly `n`.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let left), .bool(let right)): left == right
        case (.number(let left), .number(let right)): left == right
        case (.integer(let left), .integer(let right)): left == right
        case (.integer(let integer), .number(let double)), (.number(let double), .integer(let integer)):
            Int(exactly: double) == integer
        case (.string(let left), .string(let right)): left == right
        case (.array(let left), .array(let right)): left == right
        case (.object(let left), .object(let right)): left == right
        default: false
        }
    }

    /// Hashes equal numbers alike, whichever case holds them.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(1); hasher.combine(value)
        case .number(let value):
            if let integer = Int(exactly: value) {
                hasher.combine(2); hasher.combine(integer)
            } else {
                hasher.combine(3); hasher.combine(value)
            }
        case .integer(let value): hasher.combine(2); hasher.combine(value)
        case .string(let value): hasher.combine(4); hasher.combine(value)
        case .array(let value): hasher.combine(5); hasher.combine(value)
        case .object(let value): hasher.combine(6); hasher.combine(value)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// Creates `.null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates `.number`, or `.integer` beyond ±2^53 (see ``init(_:)``).
    public init(integerLiteral value: Int) { self.init(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// Creates `.number`.
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Creates `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates `.array`.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates `.object`; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
