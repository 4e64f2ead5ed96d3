import Foundation

/// One lock per job key: declarations of one key run one at a time, and declarations of
/// different keys run side by side, so that their journal appends can share an fsync (the
/// store's group commit).
///
/// A key is held while its declaration reads the key's job and changes it durably; a key no
/// one holds takes no memory.
final class KeyLocks: @unchecked Sendable {
    private let condition = NSCondition()
    /// The keys held now. Read and written only under `condition`'s lock.
    private var held: Set<String> = []

    /// Runs `body` holding `key`, after any other holder of `key` has finished.
    func withLock<Result, Failure: Error>(_ key: String, _ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        condition.lock()
        while held.contains(key) { condition.wait() }
        held.insert(key)
        condition.unlock()
        defer {
            condition.lock()
            held.remove(key)
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
