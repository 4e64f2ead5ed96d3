import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite("POSIX file system", .timeLimit(.minutes(1)))
struct POSIXFileSystemTests {
    @Test(arguments: [0, 1, 4095, 1 << 20, (1 << 20) + 7, 3_000_001])
    func aFileReadsBackByteForByte(size: Int) throws {
        let path = NSTemporaryDirectory() + "kairos-read-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = SplitMix(seed: UInt64(size))
        let bytes = Data((0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try POSIXFileSystem().readFile(at: path) == bytes)
    }

    @Test func aMissingFileReadsAsNil() throws {
        #expect(try POSIXFileSystem().readFile(at: NSTemporaryDirectory() + "kairos-missing-\(UUID().uuidString)") == nil)
    }
}
