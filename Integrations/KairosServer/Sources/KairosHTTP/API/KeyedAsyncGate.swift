import Synchronization

/// A lock per key for async code: one holder of a key at a time, its waiters resumed in order;
/// holders of different keys run side by side. Serializes the read-check-write of a schedule:
/// a create with an `Idempotency-Key` and a conditional update, keyed by the schedule's ID.
///
/// A key takes an entry only while it is held or awaited.
final class KeyedAsyncGate: Sendable {
    /// The keys held, each with the continuations of the tasks waiting for it.
    private let held = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` holding `key`, after the tasks that asked for it first.
    func withGate<T: Sendable>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = held.withLock { held -> Bool in
                guard held[key] == nil else {
                    held[key]!.append(continuation)
                    return false
                }
                held[key] = []
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard var waiters = held[key], !waiters.isEmpty else {
                held[key] = nil
                return nil
            }
            let next = waiters.removeFirst()
            held[key] = waiters
            return next
        }
        next?.resume()
    }
}
