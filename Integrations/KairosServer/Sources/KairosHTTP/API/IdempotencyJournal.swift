import Foundation
import Synchronization

/// The request digests behind `Idempotency-Key`s: for each key, the SHA-256 of the body whose
/// create used it, so that a replay can be told from a different request under the same key.
///
/// Kept in memory and, when a file is given, appended to it — one line per key,
/// `<key> <64 hex digits>` — and fsynced before ``record(_:forKey:)`` returns. Records that
/// arrive while an fsync runs share the next one (group commit), so creates with different keys
/// wait for one fsync together rather than for one each. A key's digest is readable once durable.
///
/// Opening keeps every valid line and drops what a crash or a hand edit can leave: a last line
/// without its newline (an append cut off) and lines that are not records (``droppedLines``);
/// it then rewrites the file without them (a temporary file, fsynced, renamed) before appending.
/// A file that cannot be opened, written or fsynced stops the journal: its digests stay
/// readable, and ``record(_:forKey:)`` throws ``Failure`` from then on.
final class IdempotencyJournal: Sendable {
    /// Why the journal takes no more records.
    struct Failure: Error, CustomStringConvertible {
        var file: String
        var reason: String

        var description: String { "the Idempotency-Key journal \(file) stopped: \(reason)" }
    }

    private struct Waiter {
        var sequence: UInt64
        var key: String
        var digest: String
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var digests: [String: String] = [:]
        /// Records written to the file, and of them fsynced.
        var written: UInt64 = 0
        var synchronized: UInt64 = 0
        var isSynchronizing = false
        var waiters: [Waiter] = []
        var failure: Failure?
    }

    /// The file, `nil` for digests kept in memory only.
    let file: String?
    /// What opening dropped from the file, a line each (`line 3: not "<key> <digest>"`).
    let droppedLines: [String]
    private let descriptor: Int32
    private let state: Mutex<State>

    /// Opens the journal in `file` (created if missing), with `imported` digests (those of an
    /// older records file) added where the file has none for the key.
    init(file: String?, importing imported: [String: String] = [:]) {
        self.file = file
        var state = State()
        guard let file else {
            state.digests = imported
            self.state = Mutex(state)
            droppedLines = []
            descriptor = -1
            return
        }
        let read = Self.read(file)
        state.digests = read.digests.merging(imported) { stored, _ in stored }
        droppedLines = read.dropped
        do throws(Failure) {
            if !read.dropped.isEmpty || state.digests.count != read.digests.count {
                try Self.replace(file, with: state.digests)
            }
        } catch {
            state.failure = error
        }
        descriptor = state.failure == nil ? open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644) : -1
        if descriptor < 0, state.failure == nil { state.failure = Failure(file: file, reason: "cannot open it: \(Self.lastError())") }
        self.state = Mutex(state)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Why the journal takes no more records, if it stopped.
    var failure: Failure? { state.withLock { $0.failure } }

    /// The digest recorded for `key`, if any.
    func digest(forKey key: String) -> String? { state.withLock { $0.digests[key] } }

    /// Records that the create of `key` had the body of `digest`, and returns once the record
    /// is durable. Call it for a key at most once at a time (the API holds the key's gate).
    func record(_ digest: String, forKey key: String) async throws {
        guard let file else {
            state.withLock { $0.digests[key] = digest }
            return
        }
        let line = Array("\(key) \(digest)\n".utf8)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Bool, Failure> in
                if let failure = state.failure { return .failure(failure) }
                let count = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard count == line.count else {
                    // A short write leaves a cut line that the next append would run into.
                    let failure = Failure(file: file, reason: count < 0 ? "write failed: \(Self.lastError())" : "a write was cut short")
                    state.failure = failure
                    return .failure(failure)
                }
                state.written += 1
                state.waiters.append(Waiter(sequence: state.written, key: key, digest: digest, continuation: continuation))
                let startsSynchronizing = !state.isSynchronizing
                state.isSynchronizing = true
                return .success(startsSynchronizing)
            }
            switch outcome {
            case .failure(let failure): continuation.resume(throwing: failure)
            case .success(true): StateFileWriters.pool.submit { _ in self.synchronize() }
            case .success(false): break
            }
        }
    }

    /// Fsyncs until no record waits, resuming the waiters of each fsync; on the writer threads.
    private func synchronize() {
        while true {
            let target = state.withLock { $0.written }
            let error = fsync(descriptor) == 0 ? nil : Self.lastError()
            let (resumed, failure, more) = state.withLock { state -> ([Waiter], Failure?, Bool) in
                if let error {
                    let failure = Failure(file: file ?? "", reason: "fsync failed: \(error)")
                    state.failure = failure
                    let waiting = state.waiters
                    state.waiters = []
                    state.isSynchronizing = false
                    return (waiting, failure, false)
                }
                state.synchronized = target
                let durable = state.waiters.prefix(while: { $0.sequence <= target })
                state.waiters.removeFirst(durable.count)
                for waiter in durable { state.digests[waiter.key] = waiter.digest }
                state.isSynchronizing = !state.waiters.isEmpty
                return (Array(durable), nil, state.isSynchronizing)
            }
            for waiter in resumed {
                if let failure { waiter.continuation.resume(throwing: failure) } else { waiter.continuation.resume() }
            }
            if !more { return }
        }
    }

    // MARK: The file

    /// Whether `key` may be an `Idempotency-Key`: 1 to 128 characters of `A-Za-z0-9-._~`.
    static func isValidKey(_ key: some StringProtocol) -> Bool {
        !key.isEmpty && key.utf8.count <= maximumKeyLength
            && key.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
                case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
                default: false
                }
            }
    }

    /// The longest `Idempotency-Key` accepted.
    static let maximumKeyLength = 128

    private static func isDigest(_ text: Substring) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// The records of `file` (none if it does not exist), and what was dropped.
    private static func read(_ file: String) -> (digests: [String: String], dropped: [String]) {
        guard let data = FileManager.default.contents(atPath: file) else { return ([:], []) }
        var digests: [String: String] = [:]
        var dropped: [String] = []
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let last = lines.popLast(), !last.isEmpty {
            dropped.append("line \(lines.count + 1): cut off (no newline): \(last.prefix(80).debugDescription)")
        }
        for (index, line) in lines.enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, isValidKey(parts[0]), isDigest(parts[1]) else {
                dropped.append("line \(index + 1): not \"<key> <digest>\": \(line.prefix(80).debugDescription)")
                continue
            }
            digests[String(parts[0])] = String(parts[1])
        }
        return (digests, dropped)
    }

    /// Writes `digests` to a temporary file, fsyncs it, renames it over `file` and fsyncs the
    /// directory.
    private static func replace(_ file: String, with digests: [String: String]) throws(Failure) {
        let text = digests.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
        let temporary = file + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(file: file, reason: "cannot create \(temporary): \(lastError())") }
        let bytes = Array(text.utf8)
        let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synchronized = fsync(descriptor) == 0
        close(descriptor)
        guard count == bytes.count, synchronized else { throw Failure(file: file, reason: "cannot write \(temporary): \(lastError())") }
        guard rename(temporary, file) == 0 else { throw Failure(file: file, reason: "cannot rename \(temporary): \(lastError())") }
        let directory = open((file as NSString).deletingLastPathComponent.isEmpty ? "." : (file as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
