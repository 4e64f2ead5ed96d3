import KairosPlatform

/// Suspends a task until one signal with a given key is sent to a ``SignalHub``.
enum SignalWait {
    private struct State {
        var subscription: SignalHub.Subscription?
        var continuation: CheckedContinuation<JSONValue?, any Error>?
        var delivered: JSONValue??
        var cancelled = false
    }

    /// Registers a one-shot waiter for `key`, calls `onSubscribed` once it is registered (a signal
    /// sent from then on is received), and returns the signal's payload.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first; the registration is removed.
    static func next(
        _ key: String,
        on hub: SignalHub,
        as waiter: SignalWaiter,
        onSubscribed: @escaping @Sendable () -> Void
    ) async throws -> JSONValue? {
        let box = LockedState(State())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSONValue?, any Error>) in
                if box.withLock({ $0.cancelled }) {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let subscription = hub.subscribe(key, waiter: waiter, once: true) { payload in
                    let waiting = box.withLock { state -> CheckedContinuation<JSONValue?, any Error>? in
                        guard !state.cancelled else { return nil }
                        if let continuation = state.continuation {
                            state.continuation = nil
                            return continuation
                        }
                        state.delivered = .some(payload)
                        return nil
                    }
                    waiting?.resume(returning: payload)
                }
                box.withLock { $0.subscription = subscription }
                onSubscribed()
                enum Next { case wait, deliver(JSONValue?), cancel }
                let next = box.withLock { state -> Next in
                    if state.cancelled { return .cancel }
                    if let delivered = state.delivered { return .deliver(delivered) }
                    state.continuation = continuation
                    return .wait
                }
                switch next {
                case .wait: break
                case .deliver(let payload): continuation.resume(returning: payload)
                case .cancel:
                    hub.unsubscribe(subscription)
                    continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let (subscription, continuation) = box.withLock { state in
                state.cancelled = true
                defer { state.continuation = nil }
                return (state.subscription, state.continuation)
            }
            if let subscription { hub.unsubscribe(subscription) }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
