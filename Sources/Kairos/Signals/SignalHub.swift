import KairosPlatform

/// The routing table for signals, the named messages that come into Kairos from outside (a
/// webhook, another job): who waits on which key.
///
/// A scheduler and the pipelines that run beside it share one hub, so that
/// `Scheduler.send(signal:payload:)` and `JobPipeline.send(signal:payload:)` reach every waiter
/// on the key, whichever component registered it.
///
/// Handlers run synchronously on the sending thread, outside the hub's lock; they must be quick
/// (enqueue work, resume a continuation) and must not block.
public final class SignalHub: Sendable {
    /// A registration, used to remove it.
    public struct Subscription: Hashable, Sendable {
        fileprivate let key: String
        fileprivate let number: UInt64
    }

    private struct Entry {
        var waiter: SignalWaiter
        var once: Bool
        var handler: @Sendable (JSONValue?) -> Void
    }

    private struct State {
        var entries: [String: [UInt64: Entry]] = [:]
        var nextNumber: UInt64 = 0
    }

    private let state = LockedState(State())

    /// Creates an empty hub.
    public init() {}

    /// Registers `handler` to run for signals sent with `key`.
    ///
    /// - Parameters:
    ///   - key: the signal's name.
    ///   - waiter: who waits, as ``waiters(for:)`` and a send's result list it.
    ///   - once: remove the registration after its first signal (a waiting pipeline step);
    ///     otherwise it stays until ``unsubscribe(_:)`` (a signal-triggered job).
    ///   - handler: called with the signal's payload, on the sending thread, outside the hub's lock.
    public func subscribe(
        _ key: String,
        waiter: SignalWaiter,
        once: Bool,
        handler: @escaping @Sendable (JSONValue?) -> Void
    ) -> Subscription {
        state.withLock { state in
            state.nextNumber += 1
            state.entries[key, default: [:]][state.nextNumber] = Entry(waiter: waiter, once: once, handler: handler)
            return Subscription(key: key, number: state.nextNumber)
        }
    }

    /// Removes a registration; removing one that is gone already does nothing.
    public func unsubscribe(_ subscription: Subscription) {
        state.withLock { state in
            state.entries[subscription.key]?[subscription.number] = nil
            if state.entries[subscription.key]?.isEmpty == true { state.entries[subscription.key] = nil }
        }
    }

    /// Sends a signal to every waiter registered for `key`, in registration order, and returns
    /// them. A signal nobody waits for is dropped and returns an empty array.
    @discardableResult
    public func send(_ key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        let delivered: [Entry] = state.withLock { state in
            guard let entries = state.entries[key] else { return [] }
            let ordered = entries.sorted { $0.key < $1.key }
            for (number, entry) in ordered where entry.once {
                state.entries[key]?[number] = nil
            }
            if state.entries[key]?.isEmpty == true { state.entries[key] = nil }
            return ordered.map(\.value)
        }
        for entry in delivered { entry.handler(payload) }
        return delivered.map(\.waiter)
    }

    /// The waiters currently registered for `key`, in registration order.
    public func waiters(for key: String) -> [SignalWaiter] {
        state.withLock { state in
            (state.entries[key] ?? [:]).sorted { $0.key < $1.key }.map(\.value.waiter)
        }
    }
}
