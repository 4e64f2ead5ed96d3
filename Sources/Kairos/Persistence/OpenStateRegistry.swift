import Foundation
import KairosPlatform

/// The state files this process has open, by the real path of their lock file: what tells a lock
/// held by this very process (a second `PersistentScheduler` or `StateStore` on the same file)
/// from one held by another process, whose `flock` looks the same.
enum OpenStateRegistry {
    /// How many holders each key has: 1, or briefly 2 when a store opens the file just as
    /// another one closes it (a store releases its key after unlocking). A `LockedState`, not a
    /// `Mutex`: see `LockedState` on ThreadSanitizer.
    private static let open = LockedState<[String: Int]>([:])

    /// Records that this process holds the lock file at `lockPath`; returns the key to pass to
    /// ``released(_:)``.
    static func acquired(_ lockPath: String) -> String {
        let key = self.key(lockPath)
        open.withLock { $0[key, default: 0] += 1 }
        return key
    }

    /// Records that the lock recorded under `key` was released (call after unlocking it).
    static func released(_ key: String) {
        open.withLock { open in
            let count = (open[key] ?? 1) - 1
            open[key] = count > 0 ? count : nil
        }
    }

    /// Whether this process holds the lock file at `lockPath`.
    static func isHeldHere(_ lockPath: String) -> Bool {
        let key = self.key(lockPath)
        return open.withLock { $0[key] != nil }
    }

    /// The lock file's path with symbolic links and `..` resolved (as given if it cannot be).
    private static func key(_ lockPath: String) -> String {
        guard let resolved = realpath(lockPath, nil) else { return lockPath }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
