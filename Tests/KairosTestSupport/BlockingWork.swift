import Foundation

/// Runs blocking work (waiting for a child process, reading a pipe to its end, a real sleep) on a
/// thread of its own and awaits its result.
///
/// Swift's cooperative pool has as many threads as the machine has cores, two on CI. A test that
/// blocks one of them for seconds starves every other test running beside it, and their bounded
/// waits then time out: blocking test code goes through this instead.
public func blockingWork<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Swift.Result { try body() }) }
        thread.start()
    }
}
