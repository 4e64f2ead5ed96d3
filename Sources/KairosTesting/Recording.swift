import Foundation
import KairosPlatform

/// A list that grows from any thread and that tasks can wait on until it satisfies a condition:
/// the storage behind ``RunRecorder`` and ``SchedulerEventRecorder``.
final class Recording<Element: Sendable>: Sendable {
    private struct Waiter {
        let isSatisfied: @Sendable ([Element]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var elements: [Element] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = LockedState(State())

    var elements: [Element] { state.withLock { $0.elements } }

    /// Appends `element` and resumes every waiter whose condition now holds.
    func append(_ element: Element) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.elements.append(element)
            let elements = state.elements
            let satisfied = state.waiters.filter { $0.value.isSatisfied(elements) }
            for id in satisfied.keys { state.waiters[id] = nil }
            return satisfied.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Suspends until `isSatisfied` holds for the elements recorded so far, or the task is
    /// cancelled; returns the elements at that moment.
    func wait(until isSatisfied: @escaping @Sendable ([Element]) -> Bool) async -> [Element] {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || isSatisfied(state.elements) { return true }
                    state.waiters[id] = Waiter(isSatisfied: isSatisfied, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
        return elements
    }
}
