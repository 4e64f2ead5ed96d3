import Foundation
import KairosPlatform

/// A clock that only moves when told to: the clock of every Kairos test.
///
/// ```swift
/// let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
/// let scheduler = Scheduler(configuration: .init(clock: clock))
/// scheduler.start()
/// await clock.step(by: .seconds(86_400))   // a day passes in order: every due date fires, each on time
/// clock.advance(by: .seconds(3600))        // an hour passes at once: what fell due is handled as missed
/// ```
///
/// Two ways to move it:
/// - ``step(by:)`` / ``step(to:)`` (async) stop at every date a scheduler on this clock waits for
///   and wait until that scheduler is idle before going on: the deterministic way to test jobs in
///   virtual time.
/// - ``advance(by:)``, ``advance(to:)`` and ``set(to:)`` move at once and return without waiting:
///   the scheduler thread sees only where the clock ended up, so a jump over several due dates is
///   a misfire (see ``MisfirePolicy``); follow with ``Scheduler/waitUntilIdle()`` to let it catch up.
///
/// It is a standard Swift `Clock` (with ``WallClockInstant`` as its instant), so code of your own
/// that takes `some Clock<Duration>` runs on it too: a task in `clock.sleep(for: .seconds(5))`
/// resumes when a move reaches its deadline. Every move wakes the thread of every scheduler on the
/// clock and resumes every task whose deadline has been reached.
public final class ManualClock: SchedulerClock, ThreadWaitingClock {
    private struct Sleeper {
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Participant {
        weak var value: (any ManualClockParticipant)?
    }

    private struct State {
        var now: Date
        var waitingConditions: [ObjectIdentifier: (condition: NSCondition, waiters: Int)] = [:]
        var sleepers: [UInt64: Sleeper] = [:]
        var nextSleeperID: UInt64 = 0
        var participants: [Participant] = []
    }

    private let state: LockedState<State>

    /// Creates a clock that reads `now` until it is advanced.
    public init(now: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        state = LockedState(State(now: now))
    }

    /// The clock's current time.
    public var now: WallClockInstant { WallClockInstant(date) }

    /// Zero: the clock moves only when told to, by exactly as much as it is told.
    public var minimumResolution: Duration { .zero }

    private var date: Date { state.withLock { $0.now } }

    /// Moves the clock forward by `interval` one due date at a time; see ``step(to:)``.
    ///
    /// `interval` must not be negative (a trap): use ``set(to:)`` to go back.
    public func step(by interval: Duration) async {
        precondition(interval >= .zero, "ManualClock cannot go backwards; use set(to:)")
        await step(to: date.addingTimeInterval(interval.timeInterval))
    }

    /// Moves the clock forward to `date` one due date at a time, as real time would pass: it stops
    /// at each date a ``Scheduler`` on this clock waits for (a due date, a run's timeout) or a task
    /// sleeping on it waits for, and waits until every scheduler on the clock is idle
    /// (``Scheduler/waitUntilIdle()``) before going on. Returns once the clock reads `date` and
    /// every scheduler has finished what fell due.
    ///
    /// Every due date up to `date` therefore fires on time and finishes before the next, in order;
    /// none is a misfire. A year of a daily job is 365 steps, which takes milliseconds.
    ///
    /// - Important: a step waits for the runs it fired to finish, so a job whose body itself waits
    ///   on this clock (`clock.sleep`) must be moved with ``advance(by:)`` instead. Tasks sleeping on
    ///   the clock outside any job are resumed at their deadlines, in order, but what they do next
    ///   is not waited for.
    public func step(to date: Date) async {
        while true {
            for participant in participants() { await participant.waitUntilIdle() }
            let current = self.date
            guard date > current else { return }
            var next = date
            for participant in participants() {
                if let wake = participant.nextWakeDate(), wake < next { next = wake }
            }
            if let deadline = state.withLock({ $0.sleepers.values.map(\.deadline).min() }), deadline < next { next = deadline }
            // Something is due already (a job scheduled meanwhile, a timeout the scheduler thread
            // has yet to expire): let it be handled first.
            advance(to: next)
            await Task.yield()
        }
    }

    /// Makes ``step(to:)`` stop at `participant`'s dates and wait for it; held weakly.
    package func attach(_ participant: any ManualClockParticipant) {
        state.withLock { state in
            state.participants.removeAll { $0.value == nil }
            state.participants.append(Participant(value: participant))
        }
    }

    private func participants() -> [any ManualClockParticipant] {
        state.withLock { $0.participants.compactMap(\.value) }
    }

    /// Moves the clock forward by `interval` at once and wakes whatever waits for the new time,
    /// without waiting for it; ``step(by:)`` is the form that lets every date in between fire.
    ///
    /// `interval` must not be negative (a trap): use ``set(to:)`` to go back.
    public func advance(by interval: Duration) {
        precondition(interval >= .zero, "ManualClock cannot go backwards; use set(to:)")
        let seconds = interval.timeInterval
        move { $0.addingTimeInterval(seconds) }
    }

    /// Moves the clock forward to `date` at once (no-op if `date` is not later) and wakes waiters.
    public func advance(to date: Date) {
        move { date > $0 ? date : nil }
    }

    /// Sets the clock to `date`, forwards or backwards, as a wall-clock change would.
    public func set(to date: Date) {
        move { _ in date }
    }

    /// Sets the time to `target(now)` (`nil`: leaves it) and wakes whatever waits for it. The new
    /// time is computed under the same lock that sets it, so that moves from several threads add
    /// up and an `advance` never takes the clock back past a concurrent one.
    private func move(_ target: (Date) -> Date?) {
        let (conditions, due): ([NSCondition], [CheckedContinuation<Void, any Error>]) = state.withLock { state in
            guard let date = target(state.now) else { return ([], []) }
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
    package func wait(on condition: NSCondition, until deadline: Date?) {
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

    /// Suspends until the clock is moved to `deadline` or later; `tolerance` is ignored.
    ///
    /// - Throws: `CancellationError` as soon as the task is cancelled.
    public func sleep(until deadline: WallClockInstant, tolerance: Duration? = nil) async throws {
        let deadline = deadline.date
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

/// Something that waits on a ``ManualClock`` and that ``ManualClock/step(to:)`` stops for: a
/// scheduler.
package protocol ManualClockParticipant: AnyObject, Sendable {
    /// The earliest date it waits for (a due date, a run's timeout), if any; one at or before the
    /// clock's time means something is due now.
    func nextWakeDate() -> Date?

    /// Suspends until nothing it has is going or due at the clock's current time.
    func waitUntilIdle() async
}
