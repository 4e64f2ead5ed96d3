import Foundation

/// A value guarded by an `NSLock`.
///
/// Kairos uses it instead of `Synchronization.Mutex` for state that threads contend for: on
/// Linux, `Mutex` hands a contended lock over through a priority-inheritance futex in the
/// kernel, which ThreadSanitizer cannot see, so `swift test --sanitize=thread` reports false
/// races on data that `Mutex` does protect. `NSLock` is a pthread mutex, which ThreadSanitizer
/// understands.
///
/// `@unchecked Sendable`: `value` is only accessed inside `withLock`, under `lock`.
package final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    package func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
