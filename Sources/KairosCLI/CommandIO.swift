import Foundation
import Kairos

/// A buffered byte sink for the `kairos` command's standard output or standard error.
///
/// Text accumulates in memory and goes to the sink in large writes: when 64 KiB have piled up, on
/// ``flush()``, and — through ``LineReader`` — whenever the command is about to wait for more
/// input, so a program that feeds `kairos next` one line at a time still gets each answer.
/// Not thread-safe: one command invocation owns it.
package final class CommandOutput {
    private var buffer: [UInt8] = []
    private let sink: ([UInt8]) -> Void
    private static let flushThreshold = 1 << 16

    /// An output that hands each flushed chunk of bytes to `sink`.
    package init(sink: @escaping ([UInt8]) -> Void) {
        self.sink = sink
        buffer.reserveCapacity(Self.flushThreshold)
    }

    /// An output that writes to a file handle (standard output or standard error).
    package convenience init(fileHandle: FileHandle) {
        self.init { bytes in fileHandle.write(Data(bytes)) }
    }

    /// Appends `text`.
    package func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        flushIfFull()
    }

    /// Appends raw bytes, for callers that format straight into a byte buffer.
    package func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        flushIfFull()
    }

    /// Hands everything buffered to the sink.
    package func flush() {
        guard !buffer.isEmpty else { return }
        sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func flushIfFull() {
        if buffer.count >= Self.flushThreshold { flush() }
    }
}

/// Splits a byte stream into lines for the `kairos` batch modes.
///
/// A line ends at `\n`; a trailing `\r` is dropped, and so is a final line without a newline only
/// if it is empty. Bytes that are not UTF-8 are replaced by U+FFFD. Not thread-safe.
package final class LineReader {
    private var buffer: [UInt8] = []
    private var start = 0
    private var exhausted = false
    private let fill: () -> [UInt8]

    /// A reader that gets more bytes from `fill`, which returns an empty array at end of input.
    package init(fill: @escaping () -> [UInt8]) {
        self.fill = fill
    }

    /// A reader over a fixed text.
    package convenience init(text: String) {
        var pending = Array(text.utf8)
        self.init {
            defer { pending = [] }
            return pending
        }
    }

    /// A reader over a file handle that calls `willWait` before each read that may block, so
    /// that answers already written reach the reader of the output first.
    package convenience init(fileHandle: FileHandle, willWait: @escaping () -> Void) {
        self.init {
            willWait()
            return [UInt8](fileHandle.availableData)
        }
    }

    /// The next line without its terminator, or `nil` at the end of input.
    package func nextLine() -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            if exhausted {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let more = fill()
            if more.isEmpty { exhausted = true } else { buffer.append(contentsOf: more) }
        }
    }
}
