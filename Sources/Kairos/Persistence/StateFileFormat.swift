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
    static let journalVersion = 1

    private struct SnapshotHeader: Decodable {
        var format: String?
        var version: Int?
    }

    private struct Snapshot: Codable {
        var format: String
        var version: Int
        var sequence: UInt64
        var nextJobID: UInt64
        var jobs: [PersistedJob]
        var pipelineRuns: [PersistedPipelineRun]
    }

    private struct JournalHeader: Codable {
        var format: String
        var version: Int
    }

    /// One line of the journal after the header.
    struct Record: Codable {
        var seq: UInt64
        var changes: [StateChange]
    }

    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }

    // MARK: Snapshot

    static func encodeSnapshot(_ document: StateDocument) throws -> Data {
        let snapshot = Snapshot(
            format: StateDocument.formatName,
            version: StateDocument.formatVersion,
            sequence: document.sequence,
            nextJobID: document.nextJobID,
            jobs: document.jobs.values.sorted { $0.id < $1.id },
            pipelineRuns: document.pipelineRuns.values.sorted { $0.id < $1.id })
        var data = try makeEncoder().encode(snapshot)
        data.append(0x0A)
        return data
    }

    static func decodeSnapshot(_ data: Data, file: String) throws(PersistenceError) -> StateDocument {
        let decoder = makeDecoder()
        let snapshot: Snapshot
        do {
            snapshot = try decoder.decode(Snapshot.self, from: data)
        } catch {
            // Say what is wrong at the level a user can act on: not Kairos at all, a newer
            // version, or a damaged document.
            let header = try? decoder.decode(SnapshotHeader.self, from: data)
            if let header, header.format == StateDocument.formatName,
               let version = header.version, version > StateDocument.formatVersion {
                throw .newerVersion(file: file, found: version, supported: StateDocument.formatVersion)
            }
            if let header, header.format != StateDocument.formatName {
                throw .corruptSnapshot(file: file, reason: "not a Kairos state document (format is \(header.format.map { "\"\($0)\"" } ?? "missing"))")
            }
            throw .corruptSnapshot(file: file, reason: describe(error))
        }
        try checkHeader(format: snapshot.format, version: snapshot.version, expectedFormat: StateDocument.formatName,
                        supported: StateDocument.formatVersion, file: file, line: nil)
        var document = StateDocument()
        document.sequence = snapshot.sequence
        document.nextJobID = snapshot.nextJobID
        document.jobs.reserveCapacity(snapshot.jobs.count)
        for job in snapshot.jobs {
            if document.jobs.updateValue(job, forKey: job.id) != nil {
                throw .corruptSnapshot(file: file, reason: "job \(job.id) appears twice")
            }
            if job.id.rawValue >= document.nextJobID {
                throw .corruptSnapshot(file: file, reason: "job \(job.id) is not below nextJobID \(document.nextJobID)")
            }
        }
        for run in snapshot.pipelineRuns {
            if document.pipelineRuns.updateValue(run, forKey: run.id) != nil {
                throw .corruptSnapshot(file: file, reason: "pipeline run \(run.id) appears twice")
            }
        }
        return document
    }

    // MARK: Journal

    static func journalHeaderLine() -> Data {
        line(for: try! makeEncoder().encode(JournalHeader(format: journalFormatName, version: journalVersion)))
    }

    static func encodeRecord(_ record: Record, with encoder: JSONEncoder) throws -> Data {
        line(for: try encoder.encode(record))
    }

    private static func line(for json: Data) -> Data {
        var line = Data()
        line.reserveCapacity(json.count + 10)
        let checksum = String(CRC32.checksum(json), radix: 16)
        line.append(contentsOf: Array(repeating: UInt8(ascii: "0"), count: 8 - checksum.utf8.count))
        line.append(contentsOf: checksum.utf8)
        line.append(UInt8(ascii: " "))
        line.append(json)
        line.append(0x0A)
        return line
    }

    /// What reading a journal found.
    struct JournalContent {
        /// The records, in order, all verified.
        var records: [Record] = []
        /// The length of the verified prefix; bytes after it are a torn write to cut off.
        var validLength: Int = 0
        /// Whether the header line itself was missing or torn (the journal must be recreated).
        var headerMissing = true
    }

    static func decodeJournal(_ data: Data, file: String) throws(PersistenceError) -> JournalContent {
        var content = JournalContent()
        let decoder = makeDecoder()
        let bytes = [UInt8](data)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            guard let newline = bytes[lineStart...].firstIndex(of: 0x0A) else {
                // An unterminated last line: an append cut off by a crash. It was never
                // acknowledged (a commit returns only after the whole line is synced).
                return content
            }
            let isLastLine = newline == bytes.count - 1
            let payload: [UInt8]
            do throws(LineError) {
                payload = try verifiedPayload(bytes[lineStart..<newline])
            } catch {
                if isLastLine { return content }
                throw .corruptJournal(file: file, line: lineNumber, reason: error.reason)
            }
            if lineNumber == 1 {
                let header: JournalHeader
                do {
                    header = try decoder.decode(JournalHeader.self, from: Data(payload))
                } catch {
                    throw .corruptJournal(file: file, line: 1, reason: "not a Kairos journal header: \(describe(error))")
                }
                try checkHeader(format: header.format, version: header.version, expectedFormat: journalFormatName,
                                supported: journalVersion, file: file, line: 1)
                content.headerMissing = false
            } else {
                let record: Record
                do {
                    record = try decoder.decode(Record.self, from: Data(payload))
                } catch {
                    // The checksum matched, so these are the bytes Kairos wrote: a record it cannot
                    // decode comes from a newer or different writer, never from a torn write.
                    throw .corruptJournal(file: file, line: lineNumber, reason: describe(error))
                }
                if let previous = content.records.last, record.seq != previous.seq + 1 {
                    throw .corruptJournal(file: file, line: lineNumber,
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

    private static func verifiedPayload(_ line: ArraySlice<UInt8>) throws(LineError) -> [UInt8] {
        guard line.count > 9, line[line.startIndex + 8] == UInt8(ascii: " ") else {
            throw LineError(reason: "not a checksummed record")
        }
        let checksumText = String(decoding: line[line.startIndex..<line.startIndex + 8], as: UTF8.self)
        guard let expected = UInt32(checksumText, radix: 16) else {
            throw LineError(reason: "checksum \"\(checksumText)\" is not hexadecimal")
        }
        let payload = Array(line[(line.startIndex + 9)...])
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

    /// A one-line account of a decoding error: what was expected where.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "the document" : path
        }
        switch error {
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        @unknown default:
            return String(describing: error)
        }
    }
}
