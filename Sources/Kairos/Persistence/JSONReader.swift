import Foundation

/// A failure to read a state file's JSON: what was expected, and where.
struct JSONReadError: Error, CustomStringConvertible {
    /// The byte offset in the file.
    var offset: Int
    /// What was wrong.
    var reason: String

    var description: String { "at byte \(offset): \(reason)" }
}

/// A pull parser over UTF-8 JSON bytes: the caller walks the document (objects key by key,
/// arrays element by element) and builds its own values, without an intermediate tree.
///
/// The state files are read with it instead of `JSONDecoder` because decoding a `JSONValue`
/// through `Decoder` costs a thrown error per type probed: loading 100,000 jobs took tens of
/// seconds that way, and under half a second this way.
struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    /// Objects and arrays already read by ``readInternedValue(group:)``, by their exact bytes; `nil`
    /// until ``internRepeatedValues(limit:)``.
    private var interned: InternTable?

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads one whole document from `data` with `body`, and checks nothing but whitespace
    /// follows it.
    static func read<T>(_ data: Data, _ body: (inout JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> T {
        let result: Result<T, JSONReadError> = data.withUnsafeBytes { raw in
            Result { () throws(JSONReadError) -> T in try read(raw.bindMemory(to: UInt8.self), body) }
        }
        return try result.get()
    }

    /// ``read(_:_:)`` of bytes the caller keeps alive, such as one line of a larger buffer (no
    /// copy).
    static func read<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (inout JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> T {
        var table: InternTable?
        return try read(bytes, interning: &table, body)
    }

    /// ``read(_:_:)`` of one part of a buffer whose parts repeat values (a journal's lines), with
    /// ``readInternedValue(group:)`` sharing `table` with the reads of the buffer's other parts.
    ///
    /// The table's keys point into the buffer: it must not outlive it, nor be used with another.
    static func read<T>(
        _ bytes: UnsafeBufferPointer<UInt8>, interning table: inout InternTable?,
        _ body: (inout JSONReader) throws(JSONReadError) -> T
    ) throws(JSONReadError) -> T {
        var reader = JSONReader(bytes)
        reader.interned = table
        table = nil  // keeps the table's storage uniquely referenced while the reader changes it
        defer { table = reader.interned }
        let value = try body(&reader)
        reader.skipWhitespace()
        if reader.position != reader.bytes.count { throw reader.error("unexpected data after the document") }
        return value
    }

    func error(_ reason: String) -> JSONReadError { JSONReadError(offset: position, reason: reason) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONReadError) {
        skipWhitespace()
        guard current == byte else { throw error(current == nil ? "unexpected end of data, expected \(what)" : "expected \(what)") }
        position += 1
    }

    /// Whether the next value is `null` (consumed if it is).
    mutating func readNull() -> Bool {
        skipWhitespace()
        if bytes.count - position >= 4, bytes[position] == UInt8(ascii: "n"), bytes[position + 1] == UInt8(ascii: "u"),
            bytes[position + 2] == UInt8(ascii: "l"), bytes[position + 3] == UInt8(ascii: "l")
        {
            position += 4
            return true
        }
        return false
    }

    /// Reads an object, calling `body` with each key; `body` must read the key's value.
    mutating func readObject(_ body: (inout JSONReader, String) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try expect(UInt8(ascii: "{"), "an object")
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            try body(&self, key)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    /// Reads an array, calling `body` once per element; `body` must read the element.
    mutating func readArray(_ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try expect(UInt8(ascii: "["), "an array")
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try body(&self)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    mutating func readString() throws(JSONReadError) -> String {
        try expect(UInt8(ascii: "\""), "a string")
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            if byte < 0x20 { throw error("control character in a string") }
            position += 1
        }
        throw error("unterminated string")
    }

    private mutating func readEscapedString(from start: Int) throws(JSONReadError) -> String {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = current else { throw error("unterminated string") }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHexQuad()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate") }
                        position += 2
                        let low = try readHexQuad()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    utf8.append(contentsOf: String(Character(unicode)).utf8)
                default: throw error("invalid escape")
                }
            default:
                if byte < 0x20 { throw error("control character in a string") }
                utf8.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private mutating func readHexQuad() throws(JSONReadError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// The bytes of a number token, and whether it is an integer (no fraction or exponent).
    private mutating func numberToken() throws(JSONReadError) -> (Range<Int>, isInteger: Bool) {
        skipWhitespace()
        let start = position
        var isInteger = true
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): position += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"):
                isInteger = false
                position += 1
            default:
                if position == start { throw error("expected a number") }
                return (start..<position, isInteger)
            }
        }
        if position == start { throw error("unexpected end of data, expected a number") }
        return (start..<position, isInteger)
    }

    mutating func readDouble() throws(JSONReadError) -> Double {
        let (range, isInteger) = try numberToken()
        return try double(in: range, isInteger: isInteger)
    }

    /// Reads a number as `.number`, or as `.integer` when it is an integer beyond ±2^53.
    mutating func readNumber() throws(JSONReadError) -> JSONValue {
        let (range, isInteger) = try numberToken()
        if isInteger, range.count >= 16,
            let value = Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)),
            value.magnitude > 1 << 53
        {
            return .integer(value)
        }
        return .number(try double(in: range, isInteger: isInteger))
    }

    private mutating func double(in range: Range<Int>, isInteger: Bool) throws(JSONReadError) -> Double {
        if isInteger, range.count < 16, let value = Self.parseInteger(bytes[range]) { return Double(value) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            position = range.lowerBound
            throw error("invalid number \(text)")
        }
        return value
    }

    mutating func readUInt64() throws(JSONReadError) -> UInt64 {
        let (range, isInteger) = try numberToken()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        guard isInteger, let value = UInt64(text) else {
            position = range.lowerBound
            throw error("expected a non-negative integer, found \(text)")
        }
        return value
    }

    mutating func readInt() throws(JSONReadError) -> Int {
        let (range, isInteger) = try numberToken()
        guard isInteger, let value = Self.parseInteger(bytes[range]) else {
            position = range.lowerBound
            throw error("expected an integer")
        }
        return value
    }

    private static func parseInteger(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var value = 0
        var negative = false
        var index = digits.startIndex
        if index < digits.endIndex, digits[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < digits.endIndex, digits.endIndex - index <= 18 else { return nil }
        while index < digits.endIndex {
            let digit = digits[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
            index += 1
        }
        return negative ? -value : value
    }

    mutating func readBool() throws(JSONReadError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw error("expected true or false")
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] { return false }
        position += count
        return true
    }

    /// Reads any value as a ``JSONValue``.
    mutating func readValue(depth: Int = 0) throws(JSONReadError) -> JSONValue {
        guard depth < 512 else { throw error("nested too deeply") }
        skipWhitespace()
        switch current {
        case UInt8(ascii: "{"):
            var object: [String: JSONValue] = [:]
            try readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
                object[key] = try reader.readValue(depth: depth + 1)
            }
            return .object(object)
        case UInt8(ascii: "["):
            var array: [JSONValue] = []
            try readArray { (reader: inout JSONReader) throws(JSONReadError) in
                array.append(try reader.readValue(depth: depth + 1))
            }
            return .array(array)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try readBool())
        case UInt8(ascii: "n"):
            if readNull() { return .null }
            throw error("expected a value")
        case nil: throw error("unexpected end of data, expected a value")
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            return try readNumber()
        default: throw error("expected a value")
        }
    }

    /// Checks the next value as ``readValue(depth:)`` would, without building it, and returns its
    /// bytes (for ``StoredJSONValue``).
    mutating func readCheckedBytes() throws(JSONReadError) -> [UInt8] {
        skipWhitespace()
        let start = position
        try skipValue()
        return Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
    }

    /// Reads past one value, refusing what ``readValue(depth:)`` refuses.
    private mutating func skipValue(depth: Int = 0) throws(JSONReadError) {
        guard depth < 512 else { throw error("nested too deeply") }
        skipWhitespace()
        switch current {
        case UInt8(ascii: "{"):
            try readObject { (reader: inout JSONReader, _: String) throws(JSONReadError) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try readArray { (reader: inout JSONReader) throws(JSONReadError) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            try expect(UInt8(ascii: "\""), "a string")
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    return
                }
                if byte == UInt8(ascii: "\\") {
                    _ = try readEscapedString(from: start)
                    return
                }
                if byte < 0x20 { throw error("control character in a string") }
                position += 1
            }
            throw error("unterminated string")
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"):
            if !readNull() { throw error("expected a value") }
        case nil: throw error("unexpected end of data, expected a value")
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            _ = try readNumber()
        default: throw error("expected a value")
        }
    }

    // MARK: Interning

    /// Makes ``readInternedValue(group:)`` return one shared value for byte-identical objects and
    /// arrays, remembering up to `limit` distinct ones (later ones are read, not remembered).
    ///
    /// Documents of many jobs repeat the same triggers, options and often arguments: sharing
    /// them saves building, and keeping, one dictionary per copy.
    mutating func internRepeatedValues(limit: Int) {
        interned = InternTable(limit: limit)
    }

    /// Reads any value like ``readValue(depth:)``; with interning on, an object or array whose
    /// bytes equal those of one read before is not parsed again: the earlier value is returned.
    ///
    /// Identical bytes that were valid before are valid again, so the result is exactly what
    /// ``readValue(depth:)`` would return. Values are counted by `group` (0 to 3: one per member
    /// of a repeated record, such as a job's trigger or its arguments): a group whose values
    /// rarely repeat (under a quarter of its first 4,096) is read without interning from then
    /// on, as looking up a value costs about as much as parsing it.
    mutating func readInternedValue(group: Int = 0) throws(JSONReadError) -> JSONValue {
        skipWhitespace()
        guard var table = interned, table.groups[group].enabled, let first = current,
            first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else {
            return try readValue()
        }
        interned = nil  // keeps the table's storage uniquely referenced while it changes
        defer { interned = table }
        let start = position
        table.groups[group].lookups += 1
        if let end = endOfContainer(from: start) {
            let key = InternTable.Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if let value = table.values[key] {
                table.groups[group].hits += 1
                position = end
                return value
            }
        }
        if table.groups[group].lookups == InternTable.Group.trialLookups,
            table.groups[group].hits * 4 < InternTable.Group.trialLookups
        {
            table.groups[group].enabled = false
        }
        let value = try readValue()
        if table.values.count < table.limit {
            table.values[InternTable.Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<position]))] = value
        }
        return value
    }

    /// The end of the object or array starting at `start` (one past its closing bracket), found
    /// by matching brackets outside strings; `nil` if the data ends first. It does not validate:
    /// only a match in the intern table, whose keys were all validated, is trusted.
    private func endOfContainer(from start: Int) -> Int? {
        var depth = 0
        var index = start
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    /// Values by the bytes they were read from; the keys point into the document being read.
    struct InternTable {
        struct Key: Hashable {
            let bytes: UnsafeBufferPointer<UInt8>

            static func == (lhs: Key, rhs: Key) -> Bool {
                lhs.bytes.count == rhs.bytes.count
                    && (lhs.bytes.count == 0 || memcmp(lhs.bytes.baseAddress!, rhs.bytes.baseAddress!, lhs.bytes.count) == 0)
            }

            func hash(into hasher: inout Hasher) {
                hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
        }

        /// How often one group's values were found already read.
        struct Group {
            /// Lookups after which a group that rarely repeats stops being interned.
            static let trialLookups = 4096
            var lookups = 0
            var hits = 0
            var enabled = true
        }

        fileprivate var values: [Key: JSONValue] = [:]
        fileprivate var groups = [Group](repeating: Group(), count: 4)
        fileprivate let limit: Int

        /// A table that remembers up to `limit` distinct values.
        init(limit: Int) { self.limit = limit }
    }

    /// Reads a date stored as seconds since 1970.
    mutating func readDate() throws(JSONReadError) -> Date {
        Date(timeIntervalSince1970: try readDouble())
    }
}
