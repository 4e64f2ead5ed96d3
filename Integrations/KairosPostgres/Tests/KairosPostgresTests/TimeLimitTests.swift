import Synchronization
import Testing

@testable import KairosPostgres

/// `withTimeLimit` ends a wait that ignores cancellation, as postgres-nio's wait for the answer
/// to a query written to a dead connection does: at the limit, or at once when the caller is
/// cancelled.
@Suite(.timeLimit(.minutes(1)))
struct TimeLimitTests {
    @Test func anAnswerThatNeverComesEndsAtTheLimit() async throws {
        let gate = Gate()
        defer { gate.open() }
        await #expect(throws: TimeLimitExceeded.self) {
            try await withTimeLimit(.milliseconds(20)) { await gate.wait() }
        }
    }

    @Test func cancellingTheCallerEndsTheWaitAtOnce() async throws {
        let gate = Gate()
        defer { gate.open() }
        let waiting = Task { try await withTimeLimit(nil) { await gate.wait() } }
        await gate.waiterArrived()
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func aCallerCancelledBeforeItWaitsDoesNotWait() async throws {
        let gate = Gate()
        defer { gate.open() }
        let waiting = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await withTimeLimit(nil) { await gate.wait() }
        }
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func resultsAndErrorsPassThrough() async throws {
        #expect(try await withTimeLimit(.seconds(60)) { 42 } == 42)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await withTimeLimit(.seconds(60)) { throw Failure() } }
    }
}

/// A wait that ignores cancellation: it ends only when the gate opens.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrivals: [CheckedContinuation<Void, Never>])>(
        (false, [], []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let (open, arrivals) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                if !state.open { state.waiters.append(continuation) }
                defer { state.arrivals = [] }
                return (state.open, state.arrivals)
            }
            for arrival in arrivals { arrival.resume() }
            if open { continuation.resume() }
        }
    }

    /// Returns once a task waits at the gate.
    func waiterArrived() async {
        await withCheckedContinuation { continuation in
            let arrived = state.withLock { state -> Bool in
                if state.waiters.isEmpty { state.arrivals.append(continuation) }
                return !state.waiters.isEmpty
            }
            if arrived { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
