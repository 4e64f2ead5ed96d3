import Foundation
import KairosPlatform

/// A clock that only moves when told to: the clock of every Kairos test.
///
/// ```swift
/// let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
/// let scheduler = Scheduler(configuration: .init(clock: clock))
/// clock.advance(by: 3600)   // an hour passes, instantly
/// ```
///
/// Advancing wakes every thread waiting in ``wait(on:until:)`` and resumes every task whose
/// ``sleep(until:)`` deadline has been reached.
public final class ManualClock: SchedulerClock {
    private struct Sleeper {
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var waitingConditions: [ObjectIdentifier: (condition: NSCondition, waiters: Int)] = [:]
        var sleepers: [UInt64: Sleeper] = [:]
        var nextSleeperID: UInt64 = 0
    }

    private let state: LockedState<State>

    /// Creates a clock that reads `now` until it is advanced.
    public init(now: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        state = LockedState(State(now: now))
    }

    /// The clock's current time.
    public var now: Date { state.withLock { $0.now } }

    /// Moves the clock forward by `interval` seconds and wakes whatever waits for the new time.
    public func advance(by interval: TimeInterval) {
        precondition(interval >= 0, "ManualClock cannot go backwards; use set(to:)")
        let target = state.withLock { $0.now.addingTimeInterval(interval) }
        set(to: target)
    }

    /// Moves the clock forward to `date` (no-op if `date` is not later) and wakes waiters.
    public func advance(to date: Date) {
        let current = now
        if date > current { set(to: date) }
    }

    /// Sets the clock to `date`, forwards or backwards, as a wall-clock change would.
    public func set(to date: Date) {
        let (conditions, due): ([NSCondition], [CheckedContinuation<Void, any Error>]) = state.withLock { state in
            state.now = date
            var due: [CheckedContinuation<Void, any Error>] = []
            for (id, sleeper) in state.sleepers where sleeper.deadline <= date {
                due.append(sleeper.continuation)
                state.sleepers[id] = nil
            }
            return (state.waitingConditions.values.map(\.condition), due)
        }
        for condition in conditions {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
        for continuation in due { continuation.resume() }
    }

    /// Waits on `condition` until the clock is advanced past `deadline` or the condition is
    /// signalled. The caller holds `condition`'s lock, which makes the wake-up race-free:
    /// ``set(to:)`` must take that lock to broadcast.
    public func wait(on condition: NSCondition, until deadline: Date?) {
        let key = ObjectIdentifier(condition)
        let alreadyDue = state.withLock { state -> Bool in
            state.waitingConditions[key, default: (condition, 0)].waiters += 1
            if let deadline { return state.now >= deadline }
            return false
        }
        if !alreadyDue { condition.wait() }
        state.withLock { state in
            state.waitingConditions[key]?.waiters -= 1
            if state.waitingConditions[key]?.waiters == 0 { state.waitingConditions[key] = nil }
        }
    }

    /// Suspends until the clock is advanced to `deadline` or later.
    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextSleeperID += 1
            return state.nextSleeperID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if state.now >= deadline { return true }
                    if Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
            continuation?.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// The number of tasks currently sleeping on this clock; tests use it to know that a pipeline
    /// has reached a wait before advancing the clock.
    public var sleepingTaskCount: Int { state.withLock { $0.sleepers.count } }
}
