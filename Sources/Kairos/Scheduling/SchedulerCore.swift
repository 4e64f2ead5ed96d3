import Foundation
import Synchronization

/// The engine behind ``Scheduler``: job table, queue, scheduler thread, executor hand-off.
///
/// `@unchecked Sendable`: every mutable property below `condition` is read and written only while
/// holding `condition` (an `NSCondition`, because the scheduler thread waits on it through
/// ``SchedulerClock/wait(on:until:)``). Side effects that call out (executor submissions, event
/// delivery, observer calls, continuations) are collected in ``Effects`` under the lock and
/// performed after releasing it, so no user code ever runs under the lock.
final class SchedulerCore: RunSink, @unchecked Sendable {
    /// Side effects collected under the lock and performed after it.
    struct Effects {
        var runs: [JobRun] = []
        var events: [SchedulerEvent] = []
        var changes: [JobStateChange] = []
        var completions: [(@Sendable (RunOutcome) -> Void, RunOutcome)] = []
        var cancels: [(JobRun, JobRun.Cancellation)] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        var unsubscribes: [SignalHub.Subscription] = []

        var isEmpty: Bool {
            runs.isEmpty && events.isEmpty && changes.isEmpty && completions.isEmpty && cancels.isEmpty
                && waiters.isEmpty && unsubscribes.isEmpty
        }
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
    let threshold: Double

    let condition = NSCondition()
    // Guarded by `condition`. Exclusivity is not checked at run time: the lock already makes the
    // accesses exclusive, and the dynamic checks cost a fifth of the hot path.
    @exclusivity(unchecked) var records = JobTable()
    @exclusivity(unchecked) var freeSlots: [UInt32] = []
    @exclusivity(unchecked) var explicitIDs: [JobID: UInt32] = [:]
    @exclusivity(unchecked) var queue = JobQueue()
    /// Jobs that were already due when queued, first in, first out: the scheduler thread takes
    /// them in O(1) instead of through the heap. Drained by every pass.
    @exclusivity(unchecked) var dueList = ContiguousArray<UInt32>()
    @exclusivity(unchecked) var dueHead = 0
    /// The latest clock reading, to skip reading the clock for jobs queued far in the future.
    @exclusivity(unchecked) var recentNow = -Double.infinity
    /// `recentNow`'s bit pattern, for reading without the lock.
    let recentNowBits = Atomic<UInt64>((-Double.infinity).bitPattern)
    @exclusivity(unchecked) var timeouts = BinaryHeap<TimeoutEntry> { $0.deadline < $1.deadline }
    @exclusivity(unchecked) var optionsTable: [JobOptions] = []
    @exclusivity(unchecked) var optionsIndex: [JobOptions: UInt32] = [:]
    @exclusivity(unchecked) var lastOptions: (options: JobOptions, index: UInt32)?
    @exclusivity(unchecked) var lifecycle = SchedulerLifecycle.idle
    @exclusivity(unchecked) var paused = false
    /// The clock reading at the latest `start()`, or `resume()` of the paused scheduler (−∞
    /// before any): a date due before it fell due while nothing could fire, so it is missed
    /// however little late the scheduler reaches it.
    @exclusivity(unchecked) var heldUntil = -Double.infinity
    @exclusivity(unchecked) var activeRuns = 0
    @exclusivity(unchecked) var runSequence: UInt64 = 0
    @exclusivity(unchecked) var totals = JobCounters()
    @exclusivity(unchecked) var jobCount = 0
    @exclusivity(unchecked) var pausedCount = 0
    @exclusivity(unchecked) var finishedSlots: [(slot: UInt32, id: JobID)] = []
    @exclusivity(unchecked) var finishedHead = 0
    @exclusivity(unchecked) var progressWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    @exclusivity(unchecked) var nextWaiterID: UInt64 = 0
    @exclusivity(unchecked) var observer: (@Sendable (JobStateChange) -> Void)?
    @exclusivity(unchecked) var version: UInt64 = 0
    @exclusivity(unchecked) var threadEffects = Effects()
    /// Finished runs nothing else references, reused by the next fires: firing a synchronous job
    /// allocates nothing once the pool is warm.
    @exclusivity(unchecked) var runPool: [JobRun] = []
    static let runPoolLimit = 1024
    /// Ends the scheduler thread's burst pause early (see ``SchedulerThreadState/delivering(reporting:burstPauseUntil:)``).
    let burstPauseEnd = DispatchSemaphore(value: 0)
    /// ``Scheduler/Configuration/burstBatchingDelay`` in seconds.
    let burstBatchingDelay: Double

    init(configuration: Scheduler.Configuration) {
        self.configuration = configuration
        self.clock = configuration.clock
        self.hub = configuration.signalHub
        self.threshold = max(0, configuration.misfireThreshold.timeInterval)
        self.burstBatchingDelay = max(0, configuration.burstBatchingDelay.timeInterval)
        self.executor = JobExecutor(limit: configuration.maxConcurrentJobs, clock: configuration.clock)
        optionsTable.append(JobOptions())
        executor.attach(self)
        (clock as? ManualClock)?.attach(self)
    }

    deinit { records.deallocate() }

    var now: Double { clock.now.date.timeIntervalSinceReferenceDate }

    // MARK: - Effects

    /// Performs collected side effects. Caller must not hold the lock.
    ///
    /// Observer changes and events come first, so that a `fired` change is recorded (and
    /// reported) before the run can start.
    func perform(_ effects: inout Effects) {
        if effects.isEmpty { return }
        if !effects.changes.isEmpty, let observer = currentObserver() {
            for change in effects.changes { observer(change) }
        }
        effects.changes.removeAll(keepingCapacity: true)
        bus.emit(effects.events)
        effects.events.removeAll(keepingCapacity: true)
        if !effects.runs.isEmpty { executor.submit(&effects.runs) }
        for (run, reason) in effects.cancels { executor.cancel(run, reason: reason) }
        effects.cancels.removeAll(keepingCapacity: true)
        for subscription in effects.unsubscribes { hub.unsubscribe(subscription) }
        effects.unsubscribes.removeAll()
        for (completion, outcome) in effects.completions { completion(outcome) }
        effects.completions.removeAll(keepingCapacity: true)
        for waiter in effects.waiters { waiter.resume() }
        effects.waiters.removeAll(keepingCapacity: true)
    }

    private func currentObserver() -> (@Sendable (JobStateChange) -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        return observer
    }

    /// Runs `body` under the lock, then performs its effects.
    func withLock<T, Failure: Error>(_ body: (inout Effects) throws(Failure) -> T) throws(Failure) -> T {
        var effects = Effects()
        condition.lock()
        let result: T
        do {
            result = try body(&effects)
        } catch {
            wakeProgressWaitersLocked(&effects)
            checkInvariantsLocked()
            condition.unlock()
            perform(&effects)
            throw error
        }
        wakeProgressWaitersLocked(&effects)
        checkInvariantsLocked()
        condition.unlock()
        perform(&effects)
        return result
    }

    /// Records an event and an observer change for the job in `slot`, if anyone listens.
    /// `lastMissed`: for `missed`, the last of the due dates (`due` is the first).
    func noteLocked(
        _ kind: SchedulerEvent.Kind, slot: UInt32, due: Double? = nil, lastMissed: Double? = nil,
        outcome: RunOutcome? = nil, duration: Double? = nil, count: Int = 1, effects: inout Effects
    ) {
        let listening = bus.isListening
        guard listening || observer != nil else { return }
        let record = records[Int(slot)]
        let dueDate = due.map { Date(timeIntervalSinceReferenceDate: $0) }
        if listening {
            var missed: ClosedRange<Date>?
            if kind == .missed, let due, let dueDate {
                missed = dueDate...Date(timeIntervalSinceReferenceDate: max(lastMissed ?? due, due))
            }
            effects.events.append(
                SchedulerEvent(
                    kind: kind, jobID: record.id, jobName: record.name, dueDate: dueDate, date: clock.now.date,
                    duration: duration.map { .seconds($0) }, result: outcome?.value, error: outcome?.error, count: count,
                    missedDueDates: missed))
        }
        if observer != nil {
            effects.changes.append(JobStateChange(kind: kind, dueDate: dueDate, outcome: outcome, snapshot: snapshotLocked(slot)))
        }
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

    // MARK: - Slots and IDs

    func slotLocked(of id: JobID) -> UInt32? {
        if !explicitIDs.isEmpty, let slot = explicitIDs[id] { return slot }
        let low = UInt32(truncatingIfNeeded: id.rawValue)
        guard low > 0 else { return nil }
        let slot = Int(low - 1)
        guard slot < records.count, records[slot].id == id, records[slot].state != .free else { return nil }
        return UInt32(slot)
    }

    func requireSlotLocked(_ id: JobID) throws(SchedulerError) -> UInt32 {
        guard let slot = slotLocked(of: id) else { throw .jobNotFound(id) }
        return slot
    }

    /// Takes a free slot and gives it an ID (generated unless `explicit`).
    func allocateSlotLocked(explicit: JobID?) -> (slot: UInt32, id: JobID) {
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
            assert(records[Int(slot)].state == .free, "free list holds slot \(slot), which is in use")
        } else {
            slot = UInt32(records.count)
            records.append(.free(generation: 0))
        }
        if let explicit {
            explicitIDs[explicit] = slot
            return (slot, explicit)
        }
        var generation = records[Int(slot)].generation
        var id = JobID(rawValue: UInt64(generation) << 32 | UInt64(slot + 1))
        while !explicitIDs.isEmpty, explicitIDs[id] != nil {
            generation &+= 1
            id = JobID(rawValue: UInt64(generation) << 32 | UInt64(slot + 1))
        }
        records[Int(slot)].generation = generation
        return (slot, id)
    }

    /// Releases a finished job's slot and everything it references.
    func freeSlotLocked(_ slot: UInt32, effects: inout Effects) {
        let index = Int(slot)
        assert(records[index].active == 0, "slot \(slot) freed with runs in flight")
        if records[index].flags.contains(.explicitID) { explicitIDs[records[index].id] = nil }
        if let subscription = records[index].extras?.subscription { effects.unsubscribes.append(subscription) }
        if !records[index].state.isFinished { unqueueLocked(slot) }  // finished jobs are never queued
        records[index] = .free(generation: records[index].generation &+ 1)
        freeSlots.append(slot)
        jobCount -= 1
    }

    /// Remembers that the job in `slot` finished; forgets the oldest finished jobs beyond the
    /// retention limit.
    func retainFinishedLocked(_ slot: UInt32, effects: inout Effects) {
        finishedSlots.append((slot, records[Int(slot)].id))
        while finishedSlots.count - finishedHead > configuration.finishedJobRetention {
            let (oldSlot, oldID) = finishedSlots[finishedHead]
            finishedHead += 1
            guard records[Int(oldSlot)].id == oldID, records[Int(oldSlot)].state.isFinished else { continue }
            if records[Int(oldSlot)].active == 0 {
                freeSlotLocked(oldSlot, effects: &effects)
            } else {
                records[Int(oldSlot)].flags.insert(.forgetWhenIdle)
            }
        }
        if finishedHead > 1024, finishedHead * 2 > finishedSlots.count {
            finishedSlots.removeFirst(finishedHead)
            finishedHead = 0
        }
    }

    func internOptionsLocked(_ options: JobOptions) -> UInt32 {
        if let last = lastOptions, last.options == options { return last.index }
        let index: UInt32
        if let existing = optionsIndex[options] {
            index = existing
        } else {
            index = UInt32(optionsTable.count)
            optionsTable.append(options)
            optionsIndex[options] = index
        }
        lastOptions = (options, index)
        return index
    }

    // MARK: - Snapshots

    func snapshotLocked(_ slot: UInt32) -> JobSnapshot {
        let record = records[Int(slot)]
        version += 1
        var counters = record.extras?.counters ?? JobCounters()
        counters.runs = record.runs
        var outcome: RunOutcome?
        if record.runs > 0 {
            outcome = record.flags.contains(.lastVoid) ? .success(()) : record.extras?.lastOutcome
        }
        func date(_ value: Double) -> Date? { value.isNaN ? nil : Date(timeIntervalSinceReferenceDate: value) }
        return JobSnapshot(
            id: record.id, name: record.name, status: record.status, trigger: record.trigger.trigger,
            options: optionsTable[Int(record.optionsIndex)], counters: counters,
            lastDueDate: date(record.lastDue), lastStartDate: date(record.lastDue + Double(record.lastStartOffset)),
            nextFireDate: date(record.nextDue), lastOutcome: outcome,
            lastDuration: record.lastDuration.isNaN ? nil : .seconds(Double(record.lastDuration)),
            activeRuns: Int(record.active), bufferedRuns: record.extras?.bufferedCount ?? 0,
            isPaused: record.state == .paused, version: version)
    }

    func statsLocked() -> SchedulerStats {
        let counts = executor.counts
        return SchedulerStats(
            jobs: jobCount, queuedJobs: queue.count + dueList.count - dueHead, pausedJobs: pausedCount, activeRuns: activeRuns,
            executingRuns: counts.executing, totals: totals)
    }
}

extension SchedulerCore: ManualClockParticipant {
    func nextWakeDate() -> Date? {
        condition.lock()
        defer { condition.unlock() }
        guard lifecycle.isRunning else { return nil }
        var date = timeouts.first?.deadline ?? .infinity
        if !paused { date = min(date, dueHead < dueList.count ? -.infinity : queue.min?.date ?? .infinity) }
        if date == .infinity { return nil }
        return date == -.infinity ? .distantPast : Date(timeIntervalSinceReferenceDate: date)
    }

    func waitUntilIdle() async {
        while !Task.isCancelled {
            if await waitForProgress(unless: { isIdleLocked() }) { return }
        }
    }
}

extension JobRecord.State {
    var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}
