/// A JSON value as the state keeps it: either a ``JSONValue`` or, when it was read from a state
/// file, the bytes it was read from, checked and kept as they are until ``value`` is asked for.
///
/// A job's arguments are read at every load and used only when the job runs: building a
/// dictionary for each of 100,000 jobs' arguments took a fifth of loading a state, keeping their
/// bytes a tenth of that. Written back, the bytes are copied as they are.
///
/// Equal when their values are equal (bytes that are the same are not decoded to tell).
package struct StoredJSONValue: Sendable, Hashable {
    private enum Storage: Sendable {
        case value(JSONValue)
        /// One valid JSON value, without surrounding whitespace.
        case bytes([UInt8])
    }

    private let storage: Storage

    /// A stored form of `value`.
    package init(_ value: JSONValue) { storage = .value(value) }

    /// Bytes that ``JSONReader`` checked are one JSON value.
    init(checkedBytes: [UInt8]) { storage = .bytes(checkedBytes) }

    /// The value, decoded from its bytes if it was read from a file (each time: keep the result
    /// when it is needed more than once).
    package var value: JSONValue {
        switch storage {
        case .value(let value): return value
        case .bytes(let bytes):
            // The bytes were checked when they were read: reading them again cannot fail.
            let value = bytes.withUnsafeBufferPointer { buffer in
                try? JSONReader.read(buffer) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readValue() }
            }
            return value ?? .null
        }
    }

    /// Whether the value is JSON `null`, without decoding it.
    var isNull: Bool {
        switch storage {
        case .value(let value): return value == .null
        case .bytes(let bytes): return bytes.elementsEqual("null".utf8)
        }
    }

    /// Writes the value: its bytes as they were read, or the value.
    func write(to writer: inout JSONWriter) {
        switch storage {
        case .value(let value): writer.value(value)
        case .bytes(let bytes): writer.raw(bytes)
        }
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        if case .bytes(let left) = lhs.storage, case .bytes(let right) = rhs.storage, left == right { return true }
        return lhs.value == rhs.value
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
