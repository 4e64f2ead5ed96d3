import Foundation
import Synchronization

/// The driver behind ``Scheduler``: it holds the ``JobTimeline`` under its lock, runs the
/// scheduler thread (waits, burst pauses, run timeouts) and hands the timeline's effects to the
/// executor, the event bus, the observer and the signal hub.
///
/// `@unchecked Sendable`: every mutable property below `condition` is read and written only while
/// holding `condition` (an `NSCondition`, because the scheduler thread waits on it through
/// ``SchedulerClock/wait(on:until:)``). Effects that call out (executor submissions, event
/// delivery, observer calls, continuations) are collected under the lock and performed after
/// releasing it, so no user code ever runs under the lock.
final class SchedulerCore: RunSink, @unchecked Sendable {
    /// Side effects collected under the lock and performed after it: the timeline's, and the
    /// waiters for progress to resume.
    struct Effects {
        var timeline = JobTimeline.Effects()
        var waiters: [CheckedContinuation<Void, Never>] = []

        var isEmpty: Bool { timeline.isEmpty && waiters.isEmpty }
    }

    struct TimeoutEntry {
        var deadline: Double
        var run: JobRun
    }

    let configuration: Scheduler.Configuration
    let clock: any SchedulerClock
    let hub: SignalHub
    let executor: JobExecutor
    let bus = EventBus()

    let condition = NSCondition()
    // Guarded by `condition`. Exclusivity is not checked at run time: the lock already makes the
    // accesses exclusive, and the dynamic checks cost a fifth of the hot path.
    @exclusivity(unchecked) var timeline: JobTimeline
    /// The timeline's latest clock reading, for reading without the lock.
    let recentNowBits = Atomic<UInt64>((-Double.infinity).bitPattern)
    @exclusivity(unchecked) var timeouts = BinaryHeap<TimeoutEntry> { $0.deadline < $1.deadline }
    @exclusivity(unchecked) var lifecycle = SchedulerLifecycle.idle
    @exclusivity(unchecked) var progressWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    @exclusivity(unchecked) var nextWaiterID: UInt64 = 0
    @exclusivity(unchecked) var threadEffects = Effects()
    /// Ends the scheduler thread's burst pause early (see ``SchedulerThreadState/delivering(reporting:burstPauseUntil:)``).
    let burstPauseEnd = DispatchSemaphore(value: 0)
    /// ``Scheduler/Configuration/burstBatchingDelay`` in seconds.
    let burstBatchingDelay: Double

    init(configuration: Scheduler.Configuration) {
        self.configuration = configuration
        self.clock = configuration.clock
        self.hub = configuration.signalHub
        self.timeline = JobTimeline(configuration: configuration)
        self.burstBatchingDelay = max(0, configuration.burstBatchingDelay.timeInterval)
        self.executor = JobExecutor(limit: configuration.maxConcurrentJobs, clock: configuration.clock)
        executor.attach(self)
        (clock as? ManualClock)?.attach(self)
    }

    deinit { timeline.deallocate() }

    var now: Double { clock.now.date.timeIntervalSinceReferenceDate }

    // MARK: - Effects

    /// Takes the lock for a change to the timeline.
    func lockForChange() {
        condition.lock()
        timeline.reportsEvents = bus.isListening
    }

    /// Does, still under the lock, what the timeline asked for that cannot wait: signal
    /// subscriptions, waking the scheduler thread, publishing the latest reading; then wakes the
    /// waiters for progress, checks the invariants and releases the lock.
    func unlockAfterChange(_ effects: inout Effects) {
        if !effects.timeline.subscriptions.isEmpty { subscribeLocked(&effects.timeline.subscriptions) }
        if effects.timeline.wakeForDueList {
            effects.timeline.wakeForDueList = false
            wakeThreadLocked(for: -.infinity)
        }
        if effects.timeline.wakeForDate < .infinity {
            wakeThreadLocked(for: effects.timeline.wakeForDate)
            effects.timeline.wakeForDate = .infinity
        }
        publishReadingLocked()
        wakeProgressWaitersLocked(&effects)
        checkInvariantsLocked()
        condition.unlock()
    }

    private func subscribeLocked(_ requests: inout [JobTimeline.SignalSubscriptionRequest]) {
        for request in requests where timeline.slot(of: request.id) == request.slot {
            let slot = request.slot, id = request.id
            let waiter = SignalWaiter(kind: .job, id: id.description, name: request.name)
            let subscription = hub.subscribe(request.key, waiter: waiter, once: false) { [weak self] payload in
                self?.signalPosted(slot: slot, id: id, payload: payload)
            }
            timeline.records[Int(slot)].extrasCreatingIfNeeded().subscription = subscription
        }
        requests.removeAll()
    }

    /// Performs collected side effects. Caller must not hold the lock.
    ///
    /// Observer changes and events come first, so that a `fired` change is recorded (and
    /// reported) before the run can start.
    func perform(_ effects: inout Effects) {
        if effects.isEmpty { return }
        if !effects.timeline.changes.isEmpty, let observer = currentObserver() {
            for change in effects.timeline.changes { observer(change) }
        }
        effects.timeline.changes.removeAll(keepingCapacity: true)
        bus.emit(effects.timeline.events)
        effects.timeline.events.removeAll(keepingCapacity: true)
        if !effects.timeline.runs.isEmpty { executor.submit(&effects.timeline.runs) }
        for (run, reason) in effects.timeline.cancels { executor.cancel(run, reason: reason) }
        effects.timeline.cancels.removeAll(keepingCapacity: true)
        for subscription in effects.timeline.unsubscribes { hub.unsubscribe(subscription) }
        effects.timeline.unsubscribes.removeAll()
        for (completion, outcome) in effects.timeline.completions { completion(outcome) }
        effects.timeline.completions.removeAll(keepingCapacity: true)
        if !effects.timeline.reports.isEmpty { deliverReports(&effects.timeline.reports) }
        for waiter in effects.waiters { waiter.resume() }
        effects.waiters.removeAll(keepingCapacity: true)
    }

    /// Hands finished requested runs to their sinks: one call per sink with all of its runs, in
    /// the order they finished.
    private func deliverReports(_ reports: inout [(any Scheduler.RequestedRunSink, Scheduler.FinishedRequestedRun)]) {
        var start = reports.startIndex
        while start < reports.endIndex {
            let sink = reports[start].0
            var end = start + 1
            while end < reports.endIndex, reports[end].0 === sink { end += 1 }
            sink.requestedRunsFinished(reports[start..<end].map(\.1))
            start = end
        }
        reports.removeAll(keepingCapacity: true)
    }

    private func currentObserver() -> (@Sendable (JobStateChange) -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        return timeline.observer
    }

    /// Runs `body` under the lock, then performs its effects.
    func withLock<T, Failure: Error>(_ body: (inout Effects) throws(Failure) -> T) throws(Failure) -> T {
        var effects = Effects()
        lockForChange()
        let result: T
        do {
            result = try body(&effects)
        } catch {
            unlockAfterChange(&effects)
            perform(&effects)
            throw error
        }
        unlockAfterChange(&effects)
        perform(&effects)
        return result
    }

    /// Runs a change to the timeline under the lock, then performs its effects.
    func change<T, Failure: Error>(_ body: (inout JobTimeline, inout JobTimeline.Effects) throws(Failure) -> T) throws(Failure) -> T {
        try withLock { (effects: inout Effects) throws(Failure) -> T in try body(&timeline, &effects.timeline) }
    }

    func wakeProgressWaitersLocked(_ effects: inout Effects) {
        guard !progressWaiters.isEmpty else { return }
        effects.waiters.append(contentsOf: progressWaiters.values)
        progressWaiters.removeAll()
    }

    /// Suspends until something changes (a pass of the scheduler thread, a finished run, an API
    /// call) if `predicate` (evaluated under the lock) is false; returns whether it was true.
    func waitForProgress(unless predicate: () -> Bool) async -> Bool {
        let id: UInt64 = {
            condition.lock()
            defer { condition.unlock() }
            nextWaiterID += 1
            return nextWaiterID
        }()
        var satisfied = false
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                condition.lock()
                if predicate() || Task.isCancelled {
                    satisfied = predicate()
                    condition.unlock()
                    continuation.resume()
                    return
                }
                progressWaiters[id] = continuation
                condition.unlock()
            }
        } onCancel: {
            condition.lock()
            let continuation = progressWaiters.removeValue(forKey: id)
            condition.unlock()
            continuation?.resume()
        }
        return satisfied
    }

    /// The latest clock reading the scheduler has seen, readable without the lock (it may be a
    /// moment stale, which only costs a clock reading).
    var latestReading: Double { Double(bitPattern: recentNowBits.load(ordering: .relaxed)) }

    /// Publishes the timeline's latest reading for ``latestReading``; stored only when it changed,
    /// so that the threads calling `schedule` do not take the cache line from one another.
    func publishReadingLocked() {
        let bits = timeline.recentNow.bitPattern
        if recentNowBits.load(ordering: .relaxed) != bits { recentNowBits.store(bits, ordering: .relaxed) }
    }

    func statsLocked() -> SchedulerStats {
        let counts = executor.counts
        return SchedulerStats(
            jobs: timeline.jobCount, queuedJobs: timeline.queuedJobs, pausedJobs: timeline.pausedCount,
            activeRuns: timeline.activeRuns, executingRuns: counts.executing, totals: timeline.totals)
    }

    /// The driver's invariants (the timeline's, and its `isStarted` matching the lifecycle) in
    /// builds with `-DKAIROS_INTERNAL_CHECKS`. Caller holds the lock.
    @inline(__always)
    func checkInvariantsLocked() {
        #if KAIROS_INTERNAL_CHECKS
        timeline.checkInvariants()
        precondition(timeline.isStarted == lifecycle.isRunning, "the timeline's isStarted differs from the lifecycle")
        #endif
    }
}

extension SchedulerCore: ManualClockParticipant {
    func nextWakeDate() -> Date? {
        condition.lock()
        defer { condition.unlock() }
        guard lifecycle.isRunning else { return nil }
        let date = min(timeouts.first?.deadline ?? .infinity, timeline.nextDueDate)
        if date == .infinity { return nil }
        return date == -.infinity ? .distantPast : Date(timeIntervalSinceReferenceDate: date)
    }

    func waitUntilIdle() async {
        while !Task.isCancelled {
            if await waitForProgress(unless: { isIdleLocked() }) { return }
        }
    }
}
