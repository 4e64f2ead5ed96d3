import Foundation

/// The durable state of a `PersistentScheduler`: an in-memory ``StateDocument`` backed by a
/// snapshot file and an append-only journal, with every committed change on disk before
/// ``commit(_:)`` returns.
///
/// Files, for a state path `P`: `P` (the snapshot), `P.journal` (changes since the snapshot),
/// `P.lock` (held with an exclusive `flock` while the store is open), and `P.tmp` /
/// `P.journal.tmp` (replacements being written).
///
/// A commit appends one checksummed line to the journal and fsyncs it: O(size of the change),
/// whatever the number of jobs. Concurrent commits share one write and one fsync (group
/// commit): the first caller to find the journal idle writes every pending line, the others wait
/// for it. When the journal outgrows a quarter of the snapshot (and a minimum size), the committing thread
/// writes a new snapshot and an empty journal, each by write, fsync, rename, fsync of the
/// directory; the cost is proportional to the state but amortized over at least a quarter as many
/// bytes of journal, so it stays O(1) per change.
///
/// A failed write, fsync or rename stops the store for good (``PersistenceError/stopped(file:reason:)``);
/// nothing is retried.
///
/// Thread safety: all methods may be called from any thread.
package final class StateStore: Sendable {
    /// Tuning of compaction.
    package struct Configuration: Sendable {
        /// The journal is never compacted below this size.
        package var compactionMinimumBytes: Int = 4 << 20
        /// The journal is compacted once it is larger than this multiple of the snapshot. A quarter:
        /// a journal byte costs about twice a snapshot byte to load, so this bounds the journal's
        /// share of a load to about half the snapshot's, for 4 bytes of snapshot written per byte
        /// of journal (SPEC §7.3 has the measurement).
        package var compactionRatio: Double = 0.25

        package init(compactionMinimumBytes: Int = 4 << 20, compactionRatio: Double = 0.25) {
            self.compactionMinimumBytes = compactionMinimumBytes
            self.compactionRatio = compactionRatio
        }
    }

    private struct State {
        var document: StateDocument
        var pending: [(sequence: UInt64, line: Data)] = []
        var committedSequence: UInt64
        var flushing = false
        var failure: PersistenceError?
        var journal: StateFileHandle?
        var lock: StateFileHandle?
        var journalBytes: Int
        var snapshotBytes: Int
        var closed = false
        /// The format version of the journal file's header.
        var journalVersion: Int
        /// The document needs a newer format version than the journal's header says: the next
        /// flush compacts, so that the files say it (a version-1 reader would drop DAG data).
        var upgradePending = false
    }

    /// Identifies this store's lock in ``OpenStateRegistry``.
    private let lockKey: String
    /// The snapshot's path.
    package let path: String
    /// The journal's path.
    package let journalPath: String
    /// The torn last journal record that opening dropped (and cut off the file), if any.
    package let droppedJournalRecord: DroppedJournalRecord?
    private let directory: String
    private let fileSystem: any StateFileSystem
    private let configuration: Configuration
    // `condition` protects `state`; the thread holding the flusher role writes without the lock.
    private let condition = NSCondition()
    nonisolated(unsafe) private var state: State

    /// Opens (or creates) the state at `path`, taking its lock and loading the snapshot and the
    /// journal.
    ///
    /// A torn last journal record (an append cut off by a crash) is dropped, cut off the file and
    /// reported in ``droppedJournalRecord``. Any other damage throws, and then no file is
    /// written, renamed or truncated; a path that cannot name a state file throws before any
    /// file is created.
    ///
    /// - Complexity: O(size of the state files).
    /// - Throws: ``PersistenceError/invalidPath(file:reason:)``, ``PersistenceError/locked(file:)``, ``PersistenceError/corruptSnapshot(file:reason:)``,
    ///   ``PersistenceError/corruptJournal(file:line:reason:)``, ``PersistenceError/newerVersion(file:found:supported:)``,
    ///   ``PersistenceError/fileSystem(file:reason:)``.
    package init(
        path: String, fileSystem: any StateFileSystem = POSIXFileSystem(),
        configuration: Configuration = Configuration()
    ) throws(PersistenceError) {
        self.path = path
        self.journalPath = path + ".journal"
        self.directory = Self.directory(of: path)
        self.fileSystem = fileSystem
        self.configuration = configuration

        try Self.checkPath(path, directory: directory, fileSystem: fileSystem)
        let lockPath = path + ".lock"
        let lock: StateFileHandle
        do {
            lock = try fileSystem.lock(lockPath)
        } catch {
            if error.code == EWOULDBLOCK || error.code == EAGAIN {
                throw OpenStateRegistry.isHeldHere(lockPath) ? .openInThisProcess(file: path) : .locked(file: path)
            }
            throw .fileSystem(file: lockPath, reason: error.description)
        }
        lockKey = OpenStateRegistry.acquired(lockPath)
        do {
            let loaded = try Self.load(path: path, journalPath: journalPath, fileSystem: fileSystem)
            let journal = try Self.prepareJournal(
                loaded, path: journalPath, directory: directory, fileSystem: fileSystem)
            droppedJournalRecord = loaded.journal?.droppedTail
            state = State(
                document: loaded.document, committedSequence: loaded.document.sequence,
                journal: journal.handle, lock: lock, journalBytes: journal.bytes,
                snapshotBytes: loaded.snapshotBytes, journalVersion: journal.version,
                upgradePending: loaded.document.writtenVersion > journal.version)
        } catch {
            fileSystem.unlock(lock)
            OpenStateRegistry.released(lockKey)
            throw error
        }
    }

    deinit {
        if let journal = state.journal { fileSystem.close(journal) }
        if let lock = state.lock {
            fileSystem.unlock(lock)
            OpenStateRegistry.released(lockKey)
        }
    }

    /// A copy of the current state, including changes being committed by other threads.
    ///
    /// - Complexity: O(1) (copy on write).
    package var document: StateDocument {
        condition.lock()
        defer { condition.unlock() }
        return state.document
    }

    /// Why the store stopped accepting changes, if it did.
    package var failure: PersistenceError? {
        condition.lock()
        defer { condition.unlock() }
        return state.failure
    }

    /// Applies `changes` (all or none) and returns once they are durable.
    ///
    /// - Complexity: O(size of the changes), plus an amortized O(1) share of compaction.
    /// - Throws: ``PersistenceError/invalidChange(reason:)`` (nothing was applied) or
    ///   ``PersistenceError/stopped(file:reason:)`` (a write failed, now or earlier; the changes
    ///   may or may not be on disk).
    package func commit(_ changes: [StateChange]) throws(PersistenceError) {
        try commit { (_: StateDocument) -> [StateChange] in changes }
    }

    /// Applies the changes `build` derives from the current state (all or none) and returns once
    /// they are durable; an empty list commits nothing and returns at once.
    ///
    /// `build` runs under the store's lock, so changes derived from the state are applied in the
    /// order they were derived; it must be quick and must not call the store.
    package func commit(
        building build: (StateDocument) throws(PersistenceError) -> [StateChange]
    ) throws(PersistenceError) {
        condition.lock()
        defer { condition.unlock() }
        if let failure = state.failure { throw failure }
        if state.closed { throw .stopped(file: path, reason: "the state was closed") }
        let changes = try build(state.document)
        if changes.isEmpty { return }
        try state.document.apply(changes)
        if state.document.writtenVersion > state.journalVersion { state.upgradePending = true }
        state.document.sequence += 1
        let sequence = state.document.sequence
        let line = StateFileFormat.encodeRecord(.init(seq: sequence, changes: changes))
        state.pending.append((sequence, line))
        while state.committedSequence < sequence, state.failure == nil {
            if state.flushing {
                condition.wait()
            } else {
                flushPending()
            }
        }
        if state.committedSequence < sequence, let failure = state.failure { throw failure }
    }

    /// Returns once every change applied so far (by any thread) is durable.
    ///
    /// - Throws: the store's failure, if it stopped first.
    package func waitUntilDurable() throws(PersistenceError) {
        condition.lock()
        defer { condition.unlock() }
        let target = state.document.sequence
        // Every applied change has a committer waiting for it, which flushes it.
        while state.committedSequence < target, state.failure == nil { condition.wait() }
        if state.committedSequence < target, let failure = state.failure { throw failure }
    }

    /// Writes a new snapshot and an empty journal now.
    package func compact() throws(PersistenceError) {
        condition.lock()
        defer { condition.unlock() }
        while state.flushing { condition.wait() }
        if let failure = state.failure { throw failure }
        flushPending(forceCompaction: true)
        if let failure = state.failure { throw failure }
    }

    /// Releases the lock and closes the files; later commits throw.
    package func close() {
        condition.lock()
        while state.flushing { condition.wait() }
        state.closed = true
        let journal = state.journal
        let lock = state.lock
        state.journal = nil
        state.lock = nil
        condition.unlock()
        if let journal { fileSystem.close(journal) }
        if let lock {
            fileSystem.unlock(lock)
            OpenStateRegistry.released(lockKey)
        }
    }

    // MARK: Writing

    /// Writes every pending line (or a snapshot holding them) with the lock released. Called with
    /// the lock held and `flushing` false; returns with the lock held.
    private func flushPending(forceCompaction: Bool = false) {
        state.flushing = true
        let batch = state.pending
        state.pending.removeAll(keepingCapacity: true)
        let lastSequence = batch.last?.sequence ?? state.committedSequence
        let batchBytes = batch.reduce(0) { $0 + $1.line.count }
        let threshold = max(
            configuration.compactionMinimumBytes,
            Int(Double(state.snapshotBytes) * configuration.compactionRatio))
        let compacting = forceCompaction || state.upgradePending || state.journalBytes + batchBytes > threshold
        // Only a compaction takes a reference to the document: holding one otherwise would make
        // the next commit copy the whole dictionary.
        let document = compacting ? state.document : nil
        let journal = state.journal
        condition.unlock()

        var outcome: Result<(journal: StateFileHandle, journalBytes: Int, snapshotBytes: Int?, version: Int?), PersistenceError>
        if let document {
            outcome = Result { () throws(PersistenceError) in
                // `document` already holds every change of the batch (the whole pending list was
                // taken under the lock), so the snapshot replaces the journal lines.
                let written = try writeSnapshotAndJournal(document, replacing: journal)
                return (written.journal, written.journalBytes, written.snapshotBytes, document.writtenVersion)
            }
        } else if let journal {
            outcome = Result { () throws(PersistenceError) in
                var data = Data()
                data.reserveCapacity(batchBytes)
                for entry in batch { data.append(entry.line) }
                do throws(FileSystemError) {
                    try fileSystem.write(data, to: journal)
                    try fileSystem.synchronize(journal)
                } catch {
                    throw PersistenceError.stopped(file: journalPath, reason: error.description)
                }
                return (journal, batchBytes, nil, nil)
            }
        } else {
            outcome = .failure(.stopped(file: path, reason: "the state was closed"))
        }

        condition.lock()
        state.flushing = false
        switch outcome {
        case .success(let written):
            state.committedSequence = lastSequence
            state.journal = written.journal
            if let snapshotBytes = written.snapshotBytes {
                state.snapshotBytes = snapshotBytes
                state.journalBytes = written.journalBytes
            } else {
                state.journalBytes += written.journalBytes
            }
            if let version = written.version {
                state.journalVersion = version
                state.upgradePending = state.document.writtenVersion > version
            }
        case .failure(let error):
            if state.failure == nil { state.failure = error }
        }
        condition.broadcast()
    }

    /// Replaces the snapshot with `document` and the journal with an empty one; returns the new
    /// journal's handle and the sizes written.
    private func writeSnapshotAndJournal(
        _ document: StateDocument, replacing oldJournal: StateFileHandle?
    ) throws(PersistenceError) -> (journal: StateFileHandle, journalBytes: Int, snapshotBytes: Int) {
        let snapshot = StateFileFormat.encodeSnapshot(document)
        try Self.replaceFile(at: path, with: snapshot, directory: directory, fileSystem: fileSystem)
        if let oldJournal { fileSystem.close(oldJournal) }
        let header = StateFileFormat.journalHeaderLine(version: document.writtenVersion)
        try Self.replaceFile(at: journalPath, with: header, directory: directory, fileSystem: fileSystem)
        do {
            let journal = try fileSystem.openForWriting(journalPath, truncate: false)
            return (journal, header.count, snapshot.count)
        } catch {
            throw .stopped(file: journalPath, reason: error.description)
        }
    }

    /// Write to a temporary file, fsync it, rename it over `path`, fsync the directory.
    private static func replaceFile(
        at path: String, with data: Data, directory: String, fileSystem: any StateFileSystem
    ) throws(PersistenceError) {
        let temporary = path + ".tmp"
        do throws(FileSystemError) {
            let file = try fileSystem.openForWriting(temporary, truncate: true)
            do throws(FileSystemError) {
                try fileSystem.write(data, to: file)
                try fileSystem.synchronize(file)
            } catch {
                fileSystem.close(file)
                throw error
            }
            fileSystem.close(file)
            try fileSystem.rename(temporary, to: path)
            try fileSystem.synchronizeDirectory(directory)
        } catch {
            throw .stopped(file: path, reason: error.description)
        }
    }

    // MARK: Loading

    private struct Loaded {
        var document: StateDocument
        var journal: StateFileFormat.JournalContent?
        var journalLength: Int
        var snapshotBytes: Int
        var snapshotSequence: UInt64
    }

    private static func load(
        path: String, journalPath: String, fileSystem: any StateFileSystem
    ) throws(PersistenceError) -> Loaded {
        let snapshotData: Data?
        let journalData: Data?
        do {
            snapshotData = try fileSystem.readFile(at: path)
            journalData = try fileSystem.readFile(at: journalPath)
        } catch {
            throw .fileSystem(file: error.path, reason: error.description)
        }
        var document = StateDocument()
        if let snapshotData {
            // A journal record that puts a job takes 300–400 bytes.
            document = try StateFileFormat.decodeSnapshot(snapshotData, file: path, moreJobs: (journalData?.count ?? 0) / 300)
        }
        let snapshotSequence = document.sequence
        var journal: StateFileFormat.JournalContent?
        if let journalData {
            let content = try StateFileFormat.decodeJournal(journalData, file: journalPath)
            var lineNumber = 1
            for record in content.records {
                lineNumber += 1
                if record.seq <= document.sequence { continue }
                if record.seq != document.sequence + 1 {
                    throw .corruptJournal(
                        file: journalPath, line: lineNumber,
                        reason: "changes \(document.sequence + 1) to \(record.seq - 1) are missing (the snapshot ends at \(document.sequence))")
                }
                do {
                    try document.apply(record.changes)
                } catch {
                    throw .corruptJournal(file: journalPath, line: lineNumber, reason: error.description)
                }
                document.sequence = record.seq
            }
            journal = content
        }
        return Loaded(
            document: document, journal: journal, journalLength: journalData?.count ?? 0,
            snapshotBytes: snapshotData?.count ?? 0, snapshotSequence: snapshotSequence)
    }

    /// Opens the journal for appending: creates it if it is missing, its header was torn or all
    /// its records are already in the snapshot, and cuts off a torn last record.
    private static func prepareJournal(
        _ loaded: Loaded, path: String, directory: String, fileSystem: any StateFileSystem
    ) throws(PersistenceError) -> (handle: StateFileHandle, bytes: Int, version: Int) {
        do {
            // A journal whose records are all in the snapshot is left over from a compaction cut
            // short between its two renames; appending to it would leave a gap in the sequence.
            let stale =
                loaded.journal.map { content in
                    content.records.last.map { $0.seq <= loaded.snapshotSequence } ?? false
                } ?? false
            guard let content = loaded.journal, !content.headerMissing, !stale else {
                let version = loaded.document.writtenVersion
                let header = StateFileFormat.journalHeaderLine(version: version)
                try replaceFile(at: path, with: header, directory: directory, fileSystem: fileSystem)
                return (try fileSystem.openForWriting(path, truncate: false), header.count, version)
            }
            let handle = try fileSystem.openForWriting(path, truncate: false)
            if content.validLength < loaded.journalLength {
                do throws(FileSystemError) {
                    try fileSystem.truncate(handle, toLength: content.validLength)
                    try fileSystem.synchronize(handle)
                } catch {
                    fileSystem.close(handle)
                    throw error
                }
            }
            return (handle, content.validLength, content.version)
        } catch let error as FileSystemError {
            throw .fileSystem(file: path, reason: error.description)
        } catch let error as PersistenceError {
            throw error
        } catch {
            throw .fileSystem(file: path, reason: "\(error)")
        }
    }

    /// Refuses a path that cannot name a state file, before anything is created: empty, ending
    /// with "/", naming a directory or something else than a file, or in a directory that does
    /// not exist.
    private static func checkPath(
        _ path: String, directory: String, fileSystem: any StateFileSystem
    ) throws(PersistenceError) {
        func refuse(_ reason: String) -> PersistenceError { .invalidPath(file: path, reason: reason) }
        if path.isEmpty { throw refuse("the path is empty") }
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if name.isEmpty { throw refuse("it ends with \"/\", so it names a directory, not a file") }
        if name == "." || name == ".." { throw refuse("it names a directory, not a file") }
        let pathType: StateFileType?, directoryType: StateFileType?
        do throws(FileSystemError) {
            pathType = try fileSystem.fileType(at: path)
            directoryType = try fileSystem.fileType(at: directory)
        } catch {
            throw .fileSystem(file: error.path, reason: error.description)
        }
        switch pathType {
        case .directory?: throw refuse("it is a directory, not a file")
        case .other?: throw refuse("it is not a regular file")
        case .regularFile?, nil: break
        }
        switch directoryType {
        case .directory?: break
        case nil: throw refuse("its directory \"\(directory)\" does not exist")
        case .regularFile?, .other?: throw refuse("\"\(directory)\" is not a directory")
        }
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}
