/// Why a durable state could not be opened, or why it stopped accepting changes.
///
/// Every case names the file concerned. When opening fails with ``corruptSnapshot(file:reason:)``,
/// ``corruptJournal(file:line:reason:)`` or ``newerVersion(file:found:supported:)``, the state
/// files are left byte-for-byte as they were: Kairos never repairs or overwrites a state it cannot
/// read.
public enum PersistenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The snapshot file is not a Kairos state document that this version can read: not JSON,
    /// a different format, or a record that does not decode.
    case corruptSnapshot(file: String, reason: String)

    /// A journal record other than the last one is damaged (bad checksum, not JSON, out of
    /// sequence). A damaged *last* record is a write cut off by a crash and is dropped instead.
    case corruptJournal(file: String, line: Int, reason: String)

    /// The file was written by a newer Kairos, with a format version this one does not know.
    case newerVersion(file: String, found: Int, supported: Int)

    /// Another process holds the state's lock file.
    case locked(file: String)

    /// The path cannot name a state file: it is empty, ends with `/`, is a directory, or its
    /// directory does not exist. Nothing was created.
    case invalidPath(file: String, reason: String)

    /// This process already has the state open (another ``PersistentScheduler`` on the same
    /// file, not closed yet).
    case openInThisProcess(file: String)

    /// A file-system call failed while opening or reading the state.
    case fileSystem(file: String, reason: String)

    /// A write or fsync failed; the state stopped accepting changes for good.
    ///
    /// After a failed fsync the kernel may already have dropped the data, so the write is never
    /// retried: the change that hit the failure, and every change after it, throws this error.
    /// Restart the process to reopen the state from what is on disk.
    case stopped(file: String, reason: String)

    /// The change refers to something the state does not hold (for instance an unknown job).
    case invalidChange(reason: String)

    /// A sentence a user can act on.
    public var description: String {
        switch self {
        case .corruptSnapshot(let file, let reason):
            "\(file): corrupt Kairos state snapshot: \(reason); the file was left untouched"
        case .corruptJournal(let file, let line, let reason):
            "\(file): line \(line): corrupt Kairos journal record: \(reason); the file was left untouched"
        case .newerVersion(let file, let found, let supported):
            "\(file): written by a newer Kairos (format version \(found); this build reads up to \(supported)); the file was left untouched"
        case .locked(let file):
            "\(file): the state is in use by another process (its lock is held)"
        case .invalidPath(let file, let reason):
            "\"\(file)\": not a usable state file path: \(reason); nothing was created"
        case .openInThisProcess(let file):
            "\(file): the state is already open in this process (close the PersistentScheduler that has it open first)"
        case .fileSystem(let file, let reason):
            "\(file): \(reason)"
        case .stopped(let file, let reason):
            "\(file): the state stopped accepting changes after a failed write: \(reason)"
        case .invalidChange(let reason):
            "invalid state change: \(reason)"
        }
    }
}
