import Synchronization

/// The event handlers of a backend that has no scheduler of its own to keep them: adds and
/// removes handlers, and sends an event to every handler.
final class ScheduleEventHub: Sendable {
    private struct Handlers {
        var next: UInt64 = 0
        var byID: [UInt64: @Sendable (ScheduleEvent) -> Void] = [:]
    }

    private let handlers = Mutex(Handlers())

    func add(_ handler: @escaping @Sendable (ScheduleEvent) -> Void) -> ScheduleEventSubscription {
        let id = handlers.withLock { handlers in
            handlers.next += 1
            handlers.byID[handlers.next] = handler
            return handlers.next
        }
        return ScheduleEventSubscription { [weak self] in
            self?.handlers.withLock { _ = $0.byID.removeValue(forKey: id) }
        }
    }

    /// Calls every handler with `event`, outside the lock (a handler may add or remove one).
    func send(_ event: ScheduleEvent) {
        let current = handlers.withLock { Array($0.byID.values) }
        for handler in current { handler(event) }
    }
}
