import Foundation
import Testing

@testable import Kairos

@Suite("State file format: snapshot", .timeLimit(.minutes(1)))
struct StateFileFormatTests {
    static func snapshot(jobIDs: [Int], nextJobID: Int) -> Data {
        let jobs = jobIDs.map { #"{"id":\#($0),"name":"j","function":"f","trigger":{"kind":"manual"},"status":"pending"}"# }
        return Data(#"{"format":"kairos-state","version":1,"sequence":0,"nextJobID":\#(nextJobID),"jobs":[\#(jobs.joined(separator: ","))],"pipelineRuns":[]}"#.utf8)
    }

    /// The problem reported is the one met first in file order.
    @Test(arguments: [
        ([1, 2, 1, 9], 5, "job 1 appears twice"),
        ([1, 9, 2, 1], 5, "job 9 is not below nextJobID 5"),
        ([1, 7, 7], 5, "job 7 is not below nextJobID 5"),
        ([1, 2, 2, 3, 3], 9, "job 2 appears twice"),
    ])
    func theFirstDamagedJobInFileOrderIsReported(ids: [Int], nextJobID: Int, reason: String) {
        #expect {
            _ = try StateFileFormat.decodeSnapshot(Self.snapshot(jobIDs: ids, nextJobID: nextJobID), file: "s.json")
        } throws: { error in
            guard case .corruptSnapshot(_, let found) = error as? PersistenceError else { return false }
            return found == reason
        }
    }

    @Test func jobsWithSharedTriggersAndOptionsReadAsWritten() throws {
        var document = StateDocument()
        for id in 1...50 {
            document.jobs[JobID(rawValue: UInt64(id))] = PersistedJob(
                id: JobID(rawValue: UInt64(id)), name: "job \(id)", function: "f", arguments: ["customer": .number(Double(id % 4))],
                trigger: ["kind": "cron", "expression": .string("\(id % 3) 3 * * *"), "timeZone": "Europe/Paris"],
                options: ["overlap": ["kind": "skip"]], nextFireDate: Date(timeIntervalSince1970: Double(4_102_444_800 + id)))
        }
        document.nextJobID = 51
        let read = try StateFileFormat.decodeSnapshot(StateFileFormat.encodeSnapshot(document), file: "s.json")
        #expect(read == document)
    }

    /// Journal lines share one intern table: past the trial that turns interning off for values
    /// that rarely repeat (the unique arguments), every record still reads as written.
    @Test func journalRecordsWithRepeatedTriggersReadAsWritten() throws {
        var journal = StateFileFormat.journalHeaderLine()
        var records: [StateFileFormat.Record] = []
        for sequence in 1...5_000 {
            let id = JobID(rawValue: UInt64(sequence))
            let job = PersistedJob(
                id: id, name: "job \(sequence)", function: "f", arguments: ["customer": .number(Double(sequence))],
                trigger: ["kind": "cron", "expression": .string("\(sequence % 7) 3 * * *"), "timeZone": "Europe/Paris"],
                options: ["overlap": ["kind": "skip"]])
            let record = StateFileFormat.Record(seq: UInt64(sequence), changes: [.putJob(job)])
            records.append(record)
            journal.append(StateFileFormat.encodeRecord(record))
        }
        let read = try StateFileFormat.decodeJournal(journal, file: "s.json.journal")
        #expect(read.records.map(\.seq) == records.map(\.seq))
        #expect(read.records.map(\.changes) == records.map(\.changes))
    }
}
