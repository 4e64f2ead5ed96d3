import Synchronization

/// A wait on the database that took longer than its limit; the operation was cancelled and
/// abandoned.
package struct TimeLimitExceeded: Error, CustomStringConvertible {
    /// The limit that passed.
    package var limit: Duration

    package var description: String { "no answer from the database within \(limit)" }
}

/// Runs `operation` and returns its result, or throws ``TimeLimitExceeded`` once `limit` has passed
/// and `CancellationError` as soon as the calling task is cancelled, whether or not the operation
/// responds to cancellation: it is cancelled and left behind.
///
/// For waits that a lost connection can leave unanswered forever: postgres-nio does not fail a
/// query written to a connection that closed in the meantime, and its waits for an answer ignore
/// cancellation. `limit` is real time (a ``ContinuousClock``), whatever clock the node schedules by.
/// `nil` waits without a limit, only until cancelled.
package func withTimeLimit<Value: Sendable>(
    _ limit: Duration?, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = Race<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, limit: limit, operation)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The operation, its timer and the caller's cancellation racing to resume one continuation.
private final class Race<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        /// The outcome, once one side finished (the caller may be cancelled before it waits).
        var outcome: Result<Value, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<Value, any Error>, limit: Duration?,
        _ operation: @escaping @Sendable () async throws -> Value
    ) {
        let finished = state.withLock { state -> Result<Value, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let finished {
            continuation.resume(with: finished)
            return
        }
        var tasks = [
            Task {
                do {
                    let value = try await operation()
                    self.finish(.success(value))
                } catch {
                    self.finish(.failure(error))
                }
            }
        ]
        if let limit {
            tasks.append(
                Task {
                    do { try await Task.sleep(for: limit) } catch { return }
                    self.finish(.failure(TimeLimitExceeded(limit: limit)))
                })
        }
        let cancelNow = state.withLock { state -> Bool in
            state.tasks = tasks
            return state.outcome != nil
        }
        if cancelNow { for task in tasks { task.cancel() } }
    }

    /// Resumes the caller with `outcome` unless another side did, and cancels the rest.
    func finish(_ outcome: Result<Value, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, [Task<Void, Never>]) in
            guard state.outcome == nil else { return (nil, []) }
            state.outcome = outcome
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: outcome)
    }
}
