import Foundation
import Testing

@testable import Kairos

/// A state path that cannot name a file is refused before anything is created; a journal whose
/// header is damaged is refused and left as it was; a journal cut off by a crash opens and says
/// what it dropped.
@Suite("State paths and journal damage", .timeLimit(.minutes(1)))
struct StatePathAndJournalDamageTests {
    enum BadPath: String, CaseIterable, CustomTestStringConvertible {
        case empty, endsWithSlash, directory, missingParent, parentIsAFile

        var testDescription: String { rawValue }

        /// The path, in a scratch directory `directory` that holds a file `file`, and a phrase
        /// the error must say.
        func path(in directory: String) -> (path: String, reason: String) {
            switch self {
            case .empty: ("", "empty")
            case .endsWithSlash: (directory + "/state/", "ends with \"/\"")
            case .directory: (directory, "is a directory")
            case .missingParent: (directory + "/missing/state.json", "\"\(directory)/missing\" does not exist")
            case .parentIsAFile: (directory + "/file/state.json", "\"\(directory)/file\" is not a directory")
            }
        }
    }

    @Test(arguments: BadPath.allCases)
    func aPathThatCannotNameAStateFileIsRefusedAndNothingIsCreated(bad: BadPath) throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/file"))
        let (path, reason) = bad.path(in: directory)
        let workingDirectory = FileManager.default.currentDirectoryPath
        let before = StateFixtures.contents(of: directory)
        let workingBefore = try FileManager.default.contentsOfDirectory(atPath: workingDirectory)
        #expect {
            try PersistentScheduler(stateFile: path)
        } throws: { error in
            guard case .persistence(.invalidPath(path, let text)) = error as? PersistentSchedulerError else { return false }
            return text.contains(reason) && "\(error)".contains("\"\(path)\"")
        }
        #expect(StateFixtures.contents(of: directory) == before, "nothing was created")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workingDirectory) == workingBefore)
        #expect(!FileManager.default.fileExists(atPath: directory + "/.lock"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/state/.lock"))
    }

    /// A state written with three jobs (a header and three records in the journal).
    static func writeState(at path: String) throws {
        let store = try StateStore(path: path)
        for number in 1...3 { try store.commit([.putJob(StateFixtures.job(UInt64(number)))]) }
        store.close()
    }

    @Test(arguments: [
        ("hello\n", "not a checksummed record"), ("hello", "unterminated"),
        ("", nil), ("00000000 {\"format\":\"kairos-journal\",\"version\":1}\n", "checksum mismatch"),
    ])
    func aJournalWhoseHeaderIsDamagedIsRefusedAndLeftByteIdentical(header: String, reason: String?) throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Self.writeState(at: path)
        let store = try StateStore(path: path)
        try store.compact()
        store.close()
        try Data(header.utf8).write(to: URL(fileURLWithPath: path + ".journal"))
        let before = StateFixtures.contents(of: directory)
        guard let reason else {
            // An empty journal holds no record to lose: it is recreated with its header.
            let reopened = try StateStore(path: path)
            #expect(reopened.document.jobs.count == 3)
            reopened.close()
            return
        }
        #expect {
            try PersistentScheduler(stateFile: path)
        } throws: { error in
            guard case .persistence(.corruptJournal(path + ".journal", 1, let text)) = error as? PersistentSchedulerError else { return false }
            return text.contains("not a Kairos journal header") && text.contains(reason)
        }
        #expect(StateFixtures.contents(of: directory) == before, "both files left byte-identical")
    }

    /// The last record cut off halfway (unterminated), or with a flipped bit (bad checksum).
    @Test(arguments: [("unterminated", true), ("checksum mismatch", false)])
    func aTornLastRecordIsDroppedAndReported(reason: String, cutOff: Bool) throws {
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Self.writeState(at: path)
        let journalURL = URL(fileURLWithPath: path + ".journal")
        var journal = try Data(contentsOf: journalURL)
        let lastLineStart = journal.dropLast().lastIndex(of: 0x0A)! + 1
        if cutOff {
            journal = journal.prefix(lastLineStart + (journal.count - lastLineStart) / 2)
        } else {
            journal[lastLineStart + 20] ^= 0x01
        }
        try journal.write(to: journalURL)

        let scheduler = try PersistentScheduler(stateFile: path)
        let dropped = try #require(scheduler.droppedJournalRecord)
        #expect(dropped.file == path + ".journal" && dropped.line == 4 && dropped.bytes == journal.count - lastLineStart)
        #expect(dropped.reason.contains(reason))
        #expect(dropped.description.contains("line 4"))
        #expect(scheduler.store.document.jobs.count == 2)
        scheduler.close()

        // The torn record was cut off the file: the next open has nothing to report.
        let reopened = try PersistentScheduler(stateFile: path)
        #expect(reopened.droppedJournalRecord == nil)
        reopened.close()
    }
}
