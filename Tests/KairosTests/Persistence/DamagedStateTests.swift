import Foundation
import Testing

@testable import Kairos

/// A state Kairos cannot read is refused with an error naming the file and the damage, and its
/// files are left byte-for-byte as they were.
@Suite("Damaged state files", .timeLimit(.minutes(1)))
struct DamagedStateTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case snapshotNotJSON, snapshotTruncated, snapshotEmpty, snapshotOtherFormat, snapshotNewerVersion
        case snapshotJobMissingFunction, snapshotDuplicateJob
        case journalRecordFlippedInTheMiddle, journalNewerVersion, journalRecordMissingInTheMiddle
        case journalRecordUnknownChange, journalRemovesUnknownJob

        var testDescription: String { rawValue }

        /// Damages the files of a state at `path` whose journal holds three records after the
        /// snapshot.
        func apply(to path: String) throws {
            let snapshotURL = URL(fileURLWithPath: path)
            let journalURL = URL(fileURLWithPath: path + ".journal")
            var snapshot = try Data(contentsOf: snapshotURL)
            var journal = try Data(contentsOf: journalURL)
            var lines = journal.split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
            func replaceSnapshotText(_ old: String, _ new: String) {
                let text = String(decoding: snapshot, as: UTF8.self)
                precondition(text.contains(old))
                snapshot = Data(text.replacingOccurrences(of: old, with: new).utf8)
            }
            func checksummed(_ json: String) -> Data {
                let checksum = String(CRC32.checksum(Array(json.utf8)), radix: 16)
                return Data((String(repeating: "0", count: 8 - checksum.count) + checksum + " " + json).utf8)
            }
            switch self {
            case .snapshotNotJSON: snapshot = Data("this is not a state file\n".utf8)
            case .snapshotTruncated: snapshot = snapshot.prefix(snapshot.count / 2)
            case .snapshotEmpty: snapshot = Data()
            case .snapshotOtherFormat: replaceSnapshotText("\"kairos-state\"", "\"cron-state\"")
            case .snapshotNewerVersion: replaceSnapshotText("\"version\":1", "\"version\":4")
            case .snapshotJobMissingFunction: replaceSnapshotText("\"function\":\"reports.send\",", "")
            case .snapshotDuplicateJob: replaceSnapshotText("\"id\":2,", "\"id\":1,")
            case .journalRecordFlippedInTheMiddle: lines[2][20] ^= 0x01
            case .journalNewerVersion: lines[0] = checksummed("{\"format\":\"kairos-journal\",\"version\":4}")
            case .journalRecordMissingInTheMiddle: lines.remove(at: 2)
            case .journalRecordUnknownChange: lines[2] = checksummed("{\"seq\":4,\"changes\":[{\"op\":\"teleport\"}]}")
            case .journalRemovesUnknownJob: lines[2] = checksummed("{\"seq\":4,\"changes\":[{\"op\":\"removeJob\",\"id\":77}]}")
            }
            journal = Data(lines.joined(separator: [0x0A]))
            try snapshot.write(to: snapshotURL)
            try journal.write(to: journalURL)
        }

        /// Whether `error` is the one this damage must produce, naming the right file.
        func isExpected(_ error: PersistenceError, path: String) -> Bool {
            let journalPath = path + ".journal"
            switch (self, error) {
            case (.snapshotNewerVersion, .newerVersion(path, 4, 3)): return true
            case (.journalNewerVersion, .newerVersion(journalPath, 4, 3)): return true
            case (.snapshotOtherFormat, .corruptSnapshot(path, let reason)): return reason.contains("cron-state")
            case (.snapshotJobMissingFunction, .corruptSnapshot(path, let reason)): return reason.contains("function")
            case (.snapshotDuplicateJob, .corruptSnapshot(path, let reason)): return reason.contains("twice")
            case (.snapshotNotJSON, .corruptSnapshot(path, _)),
                (.snapshotTruncated, .corruptSnapshot(path, _)),
                (.snapshotEmpty, .corruptSnapshot(path, _)):
                return true
            case (.journalRecordFlippedInTheMiddle, .corruptJournal(journalPath, 3, let reason)): return reason.contains("checksum")
            case (.journalRecordMissingInTheMiddle, .corruptJournal(journalPath, 3, let reason)): return reason.contains("follows")
            case (.journalRecordUnknownChange, .corruptJournal(journalPath, 3, let reason)): return reason.contains("teleport")
            case (.journalRemovesUnknownJob, .corruptJournal(journalPath, 3, let reason)): return reason.contains("no job 77")
            default: return false
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func damagedStateIsRefusedAndLeftByteIdentical(damage: Damage) throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let store = try StateStore(path: path)
        try store.commit([.putJob(StateFixtures.job(1))])
        try store.commit([.putJob(StateFixtures.job(2))])
        try store.compact()
        for number in 3...5 { try store.commit([.putJob(StateFixtures.job(UInt64(number)))]) }
        store.close()

        try damage.apply(to: path)
        let before = StateFixtures.contents(of: directory)
        do {
            _ = try StateStore(path: path)
            Issue.record("the damaged state opened")
        } catch {
            #expect(damage.isExpected(error, path: path), "unexpected error: \(error)")
            #expect(error.description.hasPrefix(path), "the message names the file: \(error)")
        }
        #expect(StateFixtures.contents(of: directory) == before, "the files were left byte-identical")
    }

    @Test func aDamagedStateCanBeOpenedAgainOnceRepairedByHand() throws {
        // Refusing a state releases its lock: the user can fix the file and retry in-process.
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PersistenceError.self) { try StateStore(path: path) }
        try FileManager.default.removeItem(atPath: path)
        let store = try StateStore(path: path)
        store.close()
    }
}
