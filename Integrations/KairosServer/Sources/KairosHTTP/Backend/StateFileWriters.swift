import NIOPosix

/// The threads on which the state-file backend waits for its declarations to be durable, and
/// the `Idempotency-Key` journal (``IdempotencyJournal``) runs its fsyncs.
///
/// A declaration on the state file blocks its thread until the journal's fsync; run on Swift's
/// cooperative pool (one thread per core), only as many declarations as there are cores could
/// wait at once, and each fsync would commit one or two of them. On these threads every
/// declaration that arrives during an fsync joins the next one (the store's group commit).
enum StateFileWriters {
    /// How many declarations may wait for an fsync at once.
    static let threadCount = 32

    /// Started on first use and kept for the life of the process, like `NIOThreadPool.singleton`.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }()
}
