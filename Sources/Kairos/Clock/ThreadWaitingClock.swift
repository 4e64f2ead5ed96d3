import Foundation

/// A clock the scheduler thread can block on directly, without a task: ``SystemClock`` (a timed
/// condition wait) and ``ManualClock`` (woken by every move of the clock).
package protocol ThreadWaitingClock: SchedulerClock {
    /// Blocks the calling thread on `condition` until this clock reaches `deadline`, the condition
    /// is signalled, or a spurious wake-up happens.
    ///
    /// The caller holds `condition`'s lock; it is released while waiting and held again on
    /// return. Callers loop and re-check their own state, as with any condition variable. A `nil`
    /// deadline waits until the condition is signalled.
    func wait(on condition: NSCondition, until deadline: Date?)
}

extension SchedulerClock {
    /// Blocks the calling thread on `condition` until this clock reaches `deadline`, the condition
    /// is signalled, or a spurious wake-up happens; see ``ThreadWaitingClock/wait(on:until:)``.
    ///
    /// A clock that only knows how to `sleep` (one written by a user) is waited for by a task
    /// that sleeps on it and then signals `condition`: the task needs `condition`'s lock to
    /// signal, which the caller gives up only inside `wait`, so the wake-up cannot be lost.
    package func wait(on condition: NSCondition, until deadline: Date?) {
        // This runs on every wait of the scheduler thread. The package's two clocks are found by
        // type identity, which costs nanoseconds; a conformance cast costs ~350 ns (measured).
        if Self.self == SystemClock.self {
            sameType(self, as: SystemClock.self).wait(on: condition, until: deadline)
            return
        }
        if Self.self == ManualClock.self {
            sameType(self, as: ManualClock.self).wait(on: condition, until: deadline)
            return
        }
        if let clock = self as? any ThreadWaitingClock {
            clock.wait(on: condition, until: deadline)
            return
        }
        guard let deadline else {
            condition.wait()
            return
        }
        let waker = ConditionWaker(condition)
        let sleeper = Task { [self] in
            try? await sleep(until: WallClockInstant(deadline), tolerance: nil)
            waker.wake()
        }
        condition.wait()
        waker.cancel()
        sleeper.cancel()
    }
}

/// `value` as `type`, which is its own type: the caller has compared the metatypes.
@inline(__always)
private func sameType<Value, Target>(_ value: Value, as type: Target.Type) -> Target {
    unsafeBitCast(value, to: Target.self)
}

/// Signals a condition once, unless cancelled first: what a task sleeping on a user's clock does
/// to wake the scheduler thread.
private final class ConditionWaker: @unchecked Sendable {
    private let condition: NSCondition
    /// Read and written only under `condition`'s lock.
    private var cancelled = false

    init(_ condition: NSCondition) {
        self.condition = condition
    }

    /// Signals the condition under its lock, unless ``cancel()`` came first.
    func wake() {
        condition.lock()
        if !cancelled { condition.broadcast() }
        condition.unlock()
    }

    /// Called by the waiting thread, holding the condition's lock, once it is awake.
    func cancel() {
        cancelled = true
    }
}
