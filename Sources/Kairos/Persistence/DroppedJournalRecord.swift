/// A damaged last journal line that opening the state dropped: an append cut off by a crash.
///
/// Such a record was never acknowledged (a change is acknowledged only once its whole line is
/// synced), so no acknowledged change is lost; it is reported so that an operator can tell that
/// the previous process stopped mid-write. See ``PersistentScheduler/droppedJournalRecord``.
public struct DroppedJournalRecord: Sendable, Hashable, CustomStringConvertible {
    /// The journal's path.
    public var file: String
    /// The line number of the dropped record (line 1 is the header).
    public var line: Int
    /// How many bytes were cut off the end of the journal.
    public var bytes: Int
    /// What was wrong with it: `"unterminated"` or the checksum problem.
    public var reason: String

    /// Describes a dropped record; see each property.
    public init(file: String, line: Int, bytes: Int, reason: String) {
        self.file = file
        self.line = line
        self.bytes = bytes
        self.reason = reason
    }

    /// A sentence for logs.
    public var description: String {
        "\(file): line \(line): dropped a journal record cut off by a crash (\(bytes) bytes, \(reason)); it had not been acknowledged"
    }
}
