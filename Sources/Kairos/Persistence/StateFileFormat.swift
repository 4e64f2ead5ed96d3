import Foundation

/// The bytes of the two state files: the snapshot (one JSON document) and the journal (one
/// checksummed JSON record per line).
///
/// Snapshot: `{"format":"kairos-state","version":1,"sequence":S,"nextJobID":N,"jobs":[…],"pipelineRuns":[…]}`.
///
/// Journal: every line is `CCCCCCCC {json}\n`, where `CCCCCCCC` is the CRC-32 of the JSON text
/// in 8 lowercase hex digits. The first line is the header
/// `{"format":"kairos-journal","version":1}`; each following line is a record
/// `{"seq":S,"changes":[…]}` whose changes were committed together.
enum StateFileFormat {
    static let journalFormatName = "kairos-journal"
    /// The newest journal version this build reads; it writes the version of the document's
    /// content (``StateDocument/writtenVersion``).
    static let journalVersion = 3

    /// One line of the journal after the header.
    struct Record {
        var seq: UInt64
        var changes: [StateChange]
    }

    // MARK: Snapshot

    static func encodeSnapshot(_ document: StateDocument) -> Data {
        var writer = JSONWriter(capacity: 256 + document.jobs.count * 256)
        writer.object { writer in
            writer.member("format", StateDocument.formatName)
            writer.member("version", document.writtenVersion)
            writer.member("sequence", document.sequence)
            writer.member("nextJobID", document.nextJobID)
            writer.member("jobs", sortedValuesOf: document.jobs) { $0.write(to: &$1) }
            writer.member("pipelineRuns", sortedValuesOf: document.pipelineRuns) { $0.write(to: &$1) }
            if !document.dag.isEmpty { writeDAG(document.dag, to: &writer) }
        }
        var data = Data(writer.bytes)
        data.append(0x0A)
        return data
    }

    /// The most distinct objects (triggers, options, arguments) shared while reading a snapshot
    /// or a journal; beyond it, further distinct values are read without being remembered.
    static let snapshotInternLimit = 4096

    /// `moreJobs` is how many jobs the caller expects to add (the journal's): the jobs'
    /// dictionary is sized for them too, so that replaying does not grow it again.
    static func decodeSnapshot(_ data: Data, file: String, moreJobs: Int = 0) throws(PersistenceError) -> StateDocument {
        var format: String?
        var version: Int?
        var document = StateDocument()
        var sequence: UInt64?, nextJobID: UInt64?
        // Jobs go straight into the document; the first duplicate and the IDs in file order are
        // kept to report the same problem a full read would find first.
        var jobIDs: [UInt64] = []
        var duplicate: (id: JobID, index: Int)?
        var runs: [PersistedPipelineRun] = []
        var dagJobs: [PersistedDAGJob] = [], dagRuns: [PersistedDAGRun] = []
        func headerProblem() -> PersistenceError? {
            if let format, format != StateDocument.formatName {
                return .corruptSnapshot(file: file, reason: "not a Kairos state document (format is \"\(format)\", expected \"\(StateDocument.formatName)\")")
            }
            if let version, version > StateDocument.formatVersion {
                return .newerVersion(file: file, found: version, supported: StateDocument.formatVersion)
            }
            if let version, version < 1 {
                return .corruptSnapshot(file: file, reason: "format version \(version) does not exist")
            }
            return nil
        }
        do throws(JSONReadError) {
            try JSONReader.read(data) { (reader: inout JSONReader) throws(JSONReadError) in
                reader.internRepeatedValues(limit: snapshotInternLimit)
                try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
                    switch key {
                    case "format": format = try reader.readString()
                    case "version": version = try reader.readInt()
                    case "sequence": sequence = try reader.readUInt64()
                    case "nextJobID": nextJobID = try reader.readUInt64()
                    case "jobs":
                        // A document of another format or version is not read any further.
                        if headerProblem() != nil { throw reader.error("unreadable header") }
                        // A job takes 250–300 bytes of JSON.
                        document.jobs.reserveCapacity(document.jobs.count + data.count / 250 + moreJobs)
                        jobIDs.reserveCapacity(data.count / 250)
                        try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                            let job = try PersistedJob(reading: &reader)
                            jobIDs.append(job.id.rawValue)
                            if document.jobs.updateValue(job, forKey: job.id) != nil, duplicate == nil {
                                duplicate = (job.id, jobIDs.count - 1)
                            }
                        }
                    case "pipelineRuns":
                        if headerProblem() != nil { throw reader.error("unreadable header") }
                        try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                            runs.append(try PersistedPipelineRun(reading: &reader))
                        }
                    case "dagJobs", "dagRuns":
                        if headerProblem() != nil { throw reader.error("unreadable header") }
                        try readDAG(key, from: &reader, jobs: &dagJobs, runs: &dagRuns)
                    default: _ = try reader.readValue()
                    }
                }
            }
        } catch {
            if let problem = headerProblem() { throw problem }
            throw .corruptSnapshot(file: file, reason: data.isEmpty ? "the file is empty" : error.description)
        }
        if let problem = headerProblem() { throw problem }
        guard format != nil else { throw .corruptSnapshot(file: file, reason: "not a Kairos state document (no \"format\")") }
        guard version != nil else { throw .corruptSnapshot(file: file, reason: "no \"version\"") }
        guard let sequence else { throw .corruptSnapshot(file: file, reason: "no \"sequence\"") }
        guard let nextJobID else { throw .corruptSnapshot(file: file, reason: "no \"nextJobID\"") }
        document.sequence = sequence
        document.nextJobID = nextJobID
        // As if checked job by job in file order: the first duplicate or too-high ID wins.
        let firstTooHigh = jobIDs.firstIndex { $0 >= nextJobID }
        if let duplicate, firstTooHigh.map({ duplicate.index <= $0 }) ?? true {
            throw .corruptSnapshot(file: file, reason: "job \(duplicate.id) appears twice")
        }
        if let firstTooHigh {
            throw .corruptSnapshot(file: file, reason: "job \(JobID(rawValue: jobIDs[firstTooHigh])) is not below nextJobID \(document.nextJobID)")
        }
        for run in runs {
            if document.pipelineRuns.updateValue(run, forKey: run.id) != nil {
                throw .corruptSnapshot(file: file, reason: "pipeline run \(run.id) appears twice")
            }
        }
        let (dag, problem) = PersistedDAG.checked(jobs: dagJobs, runs: dagRuns)
        if let problem { throw .corruptSnapshot(file: file, reason: problem) }
        document.dag = dag!
        if let job = dagJobs.first(where: { $0.id.rawValue >= document.nextJobID }) {
            throw .corruptSnapshot(file: file, reason: "DAG job \(job.id) is not below nextJobID \(document.nextJobID)")
        }
        if let job = dagJobs.first(where: { document.jobs[$0.id] != nil }) {
            throw .corruptSnapshot(file: file, reason: "job \(job.id) is both a job and a DAG job")
        }
        if let shared = document.indexKeys() {
            throw .corruptSnapshot(file: file, reason: "jobs \(shared.jobs.0) and \(shared.jobs.1) have the same key \"\(shared.key)\"")
        }
        return document
    }

    // MARK: Journal

    static func journalHeaderLine(version: Int = journalVersion) -> Data {
        var writer = JSONWriter()
        writer.object { writer in
            writer.member("format", journalFormatName)
            writer.member("version", version)
        }
        return line(for: writer.bytes)
    }

    static func encodeRecord(_ record: Record) -> Data {
        var writer = JSONWriter()
        writer.object { writer in
            writer.member("seq", record.seq)
            writer.key("changes")
            writer.array { writer in
                for change in record.changes { change.write(to: &writer) }
            }
        }
        return line(for: writer.bytes)
    }

    private static func line(for json: [UInt8]) -> Data {
        var line = Data()
        line.reserveCapacity(json.count + 10)
        let checksum = String(CRC32.checksum(json), radix: 16)
        line.append(contentsOf: Array(repeating: UInt8(ascii: "0"), count: 8 - checksum.utf8.count))
        line.append(contentsOf: checksum.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: json)
        line.append(0x0A)
        return line
    }

    /// What reading a journal found.
    struct JournalContent {
        /// The records, in order, all verified.
        var records: [Record] = []
        /// The length of the verified prefix; bytes after it are a torn write to cut off.
        var validLength: Int = 0
        /// Whether the file is empty, so has no header yet (the journal must be recreated).
        var headerMissing = true
        /// The header's format version.
        var version = 1
        /// The damaged last line that was dropped, if any: a write cut off by a crash.
        var droppedTail: DroppedJournalRecord?
    }

    static func decodeJournal(_ data: Data, file: String) throws(PersistenceError) -> JournalContent {
        let result: Result<JournalContent, PersistenceError> = data.withUnsafeBytes { raw in
            Result { () throws(PersistenceError) in try decodeJournal(raw.bindMemory(to: UInt8.self), file: file) }
        }
        return try result.get()
    }

    /// Each line is verified and read where it lies in `bytes`, without copying it.
    private static func decodeJournal(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws(PersistenceError) -> JournalContent {
        var content = JournalContent()
        // Records of jobs scheduled alike repeat their triggers and options line after line.
        var interned: JSONReader.InternTable? = JSONReader.InternTable(limit: snapshotInternLimit)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            guard let newline = bytes[lineStart...].firstIndex(of: 0x0A) else {
                // The header is written whole (write, fsync, rename), so it is never torn.
                if lineNumber == 1 {
                    throw .corruptJournal(file: file, line: 1, reason: "not a Kairos journal header (an unterminated line)")
                }
                // An unterminated last line: an append cut off by a crash. It was never
                // acknowledged (a commit returns only after the whole line is synced).
                content.droppedTail = DroppedJournalRecord(
                    file: file, line: lineNumber, bytes: bytes.count - lineStart, reason: "unterminated")
                return content
            }
            let isLastLine = newline == bytes.count - 1
            let payload: UnsafeBufferPointer<UInt8>
            do throws(LineError) {
                payload = try verifiedPayload(bytes[lineStart..<newline])
            } catch {
                if lineNumber == 1 {
                    throw .corruptJournal(file: file, line: 1, reason: "not a Kairos journal header (\(error.reason))")
                }
                if isLastLine {
                    content.droppedTail = DroppedJournalRecord(
                        file: file, line: lineNumber, bytes: bytes.count - lineStart, reason: error.reason)
                    return content
                }
                throw .corruptJournal(file: file, line: lineNumber, reason: error.reason)
            }
            if lineNumber == 1 {
                var format: String?, version: Int?
                do throws(JSONReadError) {
                    try JSONReader.read(payload) { (reader: inout JSONReader) throws(JSONReadError) in
                        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
                            switch key {
                            case "format": format = try reader.readString()
                            case "version": version = try reader.readInt()
                            default: _ = try reader.readValue()
                            }
                        }
                    }
                } catch {
                    throw .corruptJournal(file: file, line: 1, reason: "not a Kairos journal header: \(error)")
                }
                guard let format, let version else {
                    throw .corruptJournal(file: file, line: 1, reason: "not a Kairos journal header (no format or version)")
                }
                try checkHeader(
                    format: format, version: version, expectedFormat: journalFormatName,
                    supported: journalVersion, file: file, line: 1)
                content.headerMissing = false
                content.version = version
            } else {
                var record = Record(seq: 0, changes: [])
                var hasSequence = false
                do throws(JSONReadError) {
                    // The checksum matched, so these are the bytes Kairos wrote: a record it cannot
                    // read comes from a newer or different writer, never from a torn write.
                    try JSONReader.read(payload, interning: &interned) { (reader: inout JSONReader) throws(JSONReadError) in
                        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
                            switch key {
                            case "seq":
                                record.seq = try reader.readUInt64()
                                hasSequence = true
                            case "changes":
                                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                                    record.changes.append(try StateChange(reading: &reader))
                                }
                            default: _ = try reader.readValue()
                            }
                        }
                    }
                } catch {
                    throw .corruptJournal(file: file, line: lineNumber, reason: error.description)
                }
                if !hasSequence { throw .corruptJournal(file: file, line: lineNumber, reason: "no \"seq\"") }
                if let previous = content.records.last, record.seq != previous.seq + 1 {
                    throw .corruptJournal(
                        file: file, line: lineNumber,
                        reason: "sequence \(record.seq) follows \(previous.seq)")
                }
                content.records.append(record)
            }
            lineStart = newline + 1
            content.validLength = lineStart
        }
        return content
    }

    private struct LineError: Error { var reason: String }

    private static func verifiedPayload(_ line: Slice<UnsafeBufferPointer<UInt8>>) throws(LineError) -> UnsafeBufferPointer<UInt8> {
        guard line.count > 9, line[line.startIndex + 8] == UInt8(ascii: " ") else {
            throw LineError(reason: "not a checksummed record")
        }
        let checksumText = String(decoding: line[line.startIndex..<line.startIndex + 8], as: UTF8.self)
        guard let expected = UInt32(checksumText, radix: 16) else {
            throw LineError(reason: "checksum \"\(checksumText)\" is not hexadecimal")
        }
        let payload = UnsafeBufferPointer(rebasing: line[(line.startIndex + 9)...])
        let actual = CRC32.checksum(payload)
        guard actual == expected else {
            throw LineError(reason: "checksum mismatch (stored \(checksumText), computed \(String(actual, radix: 16)))")
        }
        return payload
    }

    // MARK: Shared

    private static func checkHeader(
        format: String, version: Int, expectedFormat: String, supported: Int, file: String, line: Int?
    ) throws(PersistenceError) {
        if format != expectedFormat {
            let reason = "format is \"\(format)\", expected \"\(expectedFormat)\""
            if let line { throw .corruptJournal(file: file, line: line, reason: reason) }
            throw .corruptSnapshot(file: file, reason: reason)
        }
        if version > supported { throw .newerVersion(file: file, found: version, supported: supported) }
        if version < 1 {
            let reason = "format version \(version) does not exist"
            if let line { throw .corruptJournal(file: file, line: line, reason: reason) }
            throw .corruptSnapshot(file: file, reason: reason)
        }
    }
}
