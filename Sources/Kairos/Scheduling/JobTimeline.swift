import Foundation

/// The scheduler's job timeline as a value: the job table, the queue and the due list, the
/// interned options, the counters, and the rules that decide what happens when a date comes
/// (fire, misfire, overlap, `maxRuns`, retention). It owns no lock, no thread and no executor:
/// each mutating method changes the timeline and appends what must happen outside it to an
/// ``Effects`` value (runs to start, runs to cancel, events, signal subscriptions, the scheduler
/// thread's next wake-up), as ``DependencyGraph`` does for DAG runs.
///
/// ``SchedulerCore`` is the driver: it holds the timeline under its lock, calls these methods,
/// and performs the effects after releasing it. Tests drive a timeline directly, with a
/// ``ManualClock`` for its readings and no thread at all.
///
/// Time is read through ``clock`` only where a decision needs it (a job queued within a second of
/// the latest reading, a misfire, an event's date), so that queueing a job far in the future
/// costs no clock reading.
struct JobTimeline {
    /// What a change to the timeline asks its driver to do once the lock is released (the wake-up
    /// and subscriptions: while it is still held).
    struct Effects {
        /// Runs created, for the executor.
        var runs: [JobRun] = []
        /// Events to deliver (built only while ``JobTimeline/reportsEvents``).
        var events: [SchedulerEvent] = []
        /// State changes for the ``JobTimeline/observer``.
        var changes: [JobStateChange] = []
        /// Completion handlers of finished runs (``Scheduler/runNow(_:)``, DAG runs), with how the
        /// run ended.
        var completions: [(@Sendable (RunOutcome) -> Void, RunOutcome)] = []
        /// Finished runs for a ``Scheduler/RequestedRunSink`` (DAG runs), reported per sink in
        /// one call.
        var reports: [(any Scheduler.RequestedRunSink, Scheduler.FinishedRequestedRun)] = []
        /// Runs to cancel: withdrawn if not started, cancelled cooperatively if started.
        var cancels: [(JobRun, JobRun.Cancellation)] = []
        /// Jobs whose signal trigger needs a subscription (made by the driver under its lock).
        var subscriptions: [SignalSubscriptionRequest] = []
        /// Subscriptions to end.
        var unsubscribes: [SignalHub.Subscription] = []
        /// The earliest date that became the queue's head: the scheduler thread must be woken if it
        /// waits for a later one. Infinity: none.
        var wakeForDate = Double.infinity
        /// Whether a job was queued already due into an empty due list: the scheduler thread must
        /// be woken if it waits (not out of a burst pause, which lets such jobs accumulate).
        var wakeForDueList = false

        var isEmpty: Bool {
            runs.isEmpty && events.isEmpty && changes.isEmpty && completions.isEmpty && reports.isEmpty && cancels.isEmpty
                && unsubscribes.isEmpty
        }
    }

    /// A job whose trigger waits for a signal, to subscribe to its key.
    struct SignalSubscriptionRequest {
        var slot: UInt32
        var id: JobID
        var key: String
        var name: String
    }

    /// Finished runs nothing else references are kept for reuse up to this many.
    static let runPoolLimit = 1024

    /// The clock whose readings the decisions use.
    let clock: any SchedulerClock
    /// ``Scheduler/Configuration/misfireThreshold`` in seconds.
    let threshold: Double
    let finishedJobRetention: Int
    let defaultOverlap: OverlapPolicy
    let defaultMisfire: MisfirePolicy

    var records = JobTable()
    var freeSlots: [UInt32] = []
    var explicitIDs: [JobID: UInt32] = [:]
    /// The ID of each slot whose job's ID was given by the caller (flagged `explicitID`); other
    /// jobs' IDs are derived from their slot and generation.
    var explicitIDsBySlot = SparseSlotColumn(defaultValue: JobID(rawValue: 0))
    /// Each job's name; most jobs have none, and then cost nothing here.
    var names = SparseSlotColumn(defaultValue: "")
    var queue = JobQueue()
    /// Jobs that were already due when queued, first in, first out: the scheduler thread takes
    /// them in O(1) instead of through the heap. Drained by every pass.
    var dueList = ContiguousArray<UInt32>()
    var dueHead = 0
    /// The latest clock reading, to skip reading the clock for jobs queued far in the future.
    var recentNow = -Double.infinity
    var optionsTable: [JobOptions] = [JobOptions()]
    var optionsIndex: [JobOptions: UInt32] = [:]
    var lastOptions: (options: JobOptions, index: UInt32)?
    /// Whether the scheduler is started: due dates fire only then (the driver keeps it equal to
    /// its lifecycle's `isRunning`).
    var isStarted = false
    /// The whole scheduler is paused: nothing fires, jobs stay queued.
    var paused = false
    /// The clock reading at the latest start, or resume of the paused scheduler (−∞ before any):
    /// a date due before it fell due while nothing could fire, so it is missed however little
    /// late the scheduler reaches it.
    var heldUntil = -Double.infinity
    var activeRuns = 0
    var runSequence: UInt64 = 0
    var totals = JobCounters()
    var jobCount = 0
    var pausedCount = 0
    var finishedSlots: [(slot: UInt32, id: JobID)] = []
    var finishedHead = 0
    /// Whether anyone listens for events (the driver refreshes it from its event bus each time
    /// it takes the lock): no event is built otherwise.
    var reportsEvents = false
    /// Receives every job state change (``PersistentScheduler``'s recorder).
    var observer: (@Sendable (JobStateChange) -> Void)?
    /// Counts snapshots, so that an observer can order them.
    var version: UInt64 = 0
    /// Finished runs nothing else references, reused by the next fires: firing a synchronous job
    /// allocates nothing once the pool is warm.
    var runPool: [JobRun] = []

    init(configuration: Scheduler.Configuration) {
        clock = configuration.clock
        threshold = max(0, configuration.misfireThreshold.timeInterval)
        finishedJobRetention = configuration.finishedJobRetention
        defaultOverlap = configuration.defaultOverlap
        defaultMisfire = configuration.defaultMisfire
    }

    /// Frees the job table. Call once, when the timeline is dropped.
    mutating func deallocate() {
        records.deallocate()
        explicitIDsBySlot.deallocate()
        names.deallocate()
    }

    var now: Double { clock.now.date.timeIntervalSinceReferenceDate }

    /// Whether due dates fire: started and not paused.
    var isFiring: Bool { isStarted && !paused }

    /// The date the scheduler thread must next look at the queue: −∞ while the due list holds
    /// jobs, +∞ when nothing is queued or the scheduler is paused.
    var nextDueDate: Double {
        if paused { return .infinity }
        return dueHead < dueList.count ? -.infinity : queue.min?.date ?? .infinity
    }

    /// Whether a queued job is due at `now`.
    func hasDueJobs(at now: Double) -> Bool {
        if dueHead < dueList.count { return true }
        if let first = queue.min, first.date <= now { return true }
        return false
    }

    // MARK: - Events

    /// Records an event and an observer change for the job in `slot`, if anyone listens.
    /// `lastMissed`: for `missed`, the last of the due dates (`due` is the first).
    mutating func note(
        _ kind: SchedulerEvent.Kind, slot: UInt32, due: Double? = nil, lastMissed: Double? = nil,
        outcome: RunOutcome? = nil, duration: Double? = nil, count: Int = 1, effects: inout Effects
    ) {
        guard reportsEvents || observer != nil else { return }
        let dueDate = due.map { Date(timeIntervalSinceReferenceDate: $0) }
        if reportsEvents {
            var missed: ClosedRange<Date>?
            if kind == .missed, let due, let dueDate {
                missed = dueDate...Date(timeIntervalSinceReferenceDate: max(lastMissed ?? due, due))
            }
            effects.events.append(
                SchedulerEvent(
                    kind: kind, jobID: id(of: slot), jobName: names[slot], dueDate: dueDate, date: clock.now.date,
                    duration: duration.map { .seconds($0) }, result: outcome?.value, error: outcome?.error, count: count,
                    missedDueDates: missed))
        }
        if observer != nil {
            effects.changes.append(JobStateChange(kind: kind, dueDate: dueDate, outcome: outcome, snapshot: snapshot(slot)))
        }
    }

    // MARK: - Slots and IDs

    /// The ID the scheduler generates for the job in `slot` at `generation`: the generation in
    /// the high half, the slot plus one in the low half (so that 0 is never an ID).
    static func generatedID(slot: UInt32, generation: UInt32) -> JobID {
        JobID(rawValue: UInt64(generation) << 32 | UInt64(slot + 1))
    }

    /// The ID of the job in `slot`. Inlined: firing and finishing a run read it, and as a call it
    /// cost 24 instructions each (callgrind).
    @inline(__always)
    func id(of slot: UInt32) -> JobID {
        let index = Int(slot)
        if records[index].flags.contains(.explicitID) { return explicitIDsBySlot[slot] }
        return Self.generatedID(slot: slot, generation: records[index].generation)
    }

    func slot(of id: JobID) -> UInt32? {
        if !explicitIDs.isEmpty, let slot = explicitIDs[id] { return slot }
        let low = UInt32(truncatingIfNeeded: id.rawValue)
        guard low > 0 else { return nil }
        let slot = Int(low - 1)
        guard slot < records.count, records[slot].generation == UInt32(truncatingIfNeeded: id.rawValue >> 32),
            !records[slot].flags.contains(.explicitID), records[slot].state != .free
        else { return nil }
        return UInt32(slot)
    }

    func requireSlot(_ id: JobID) throws(SchedulerError) -> UInt32 {
        guard let slot = slot(of: id) else { throw .jobNotFound(id) }
        return slot
    }

    /// Takes a free slot and gives it an ID (generated unless `explicit`).
    mutating func allocateSlot(explicit: JobID?) -> (slot: UInt32, id: JobID) {
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
            explicitIDsBySlot.set(explicit, at: slot)
            return (slot, explicit)
        }
        var generation = records[Int(slot)].generation
        var id = Self.generatedID(slot: slot, generation: generation)
        while !explicitIDs.isEmpty, explicitIDs[id] != nil {
            generation &+= 1
            id = Self.generatedID(slot: slot, generation: generation)
        }
        records[Int(slot)].generation = generation
        return (slot, id)
    }

    /// Releases a finished job's slot and everything it references.
    mutating func freeSlot(_ slot: UInt32, effects: inout Effects) {
        let index = Int(slot)
        assert(records[index].active == 0, "slot \(slot) freed with runs in flight")
        if records[index].flags.contains(.explicitID) {
            explicitIDs[explicitIDsBySlot[slot]] = nil
            explicitIDsBySlot.reset(slot)
        }
        names.reset(slot)
        if let subscription = records[index].extras?.subscription { effects.unsubscribes.append(subscription) }
        if !records[index].state.isFinished { unqueue(slot) }  // finished jobs are never queued
        records[index] = .free(generation: records[index].generation &+ 1)
        freeSlots.append(slot)
        jobCount -= 1
    }

    /// Remembers that the job in `slot` finished; forgets the oldest finished jobs beyond the
    /// retention limit.
    mutating func retainFinished(_ slot: UInt32, effects: inout Effects) {
        finishedSlots.append((slot, id(of: slot)))
        while finishedSlots.count - finishedHead > finishedJobRetention {
            let (oldSlot, oldID) = finishedSlots[finishedHead]
            finishedHead += 1
            guard records[Int(oldSlot)].state.isFinished, id(of: oldSlot) == oldID else { continue }
            if records[Int(oldSlot)].active == 0 {
                freeSlot(oldSlot, effects: &effects)
            } else {
                records[Int(oldSlot)].flags.insert(.forgetWhenIdle)
            }
        }
        if finishedHead > 1024, finishedHead * 2 > finishedSlots.count {
            finishedSlots.removeFirst(finishedHead)
            finishedHead = 0
        }
    }

    mutating func internOptions(_ options: JobOptions) -> UInt32 {
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

    func options(of slot: UInt32) -> JobOptions { optionsTable[Int(records[Int(slot)].optionsIndex)] }

    // MARK: - Snapshots

    mutating func snapshot(_ slot: UInt32) -> JobSnapshot {
        let record = records[Int(slot)]
        version += 1
        var counters = record.extras?.counters ?? JobCounters()
        counters.runs = record.runs
        var outcome: RunOutcome?
        if record.runs > 0 {
            outcome = record.flags.contains(.lastVoid) ? .success(()) : record.extras?.lastOutcome
        }
        return JobSnapshot(
            id: id(of: slot), name: names[slot], status: record.status, trigger: record.trigger.trigger,
            options: optionsTable[Int(record.optionsIndex)], counters: counters,
            lastDueDate: record.lastDue.date, lastStartDate: record.lastDue.advanced(by: Double(record.lastStartOffset)).date,
            nextFireDate: record.nextDue.date, lastOutcome: outcome,
            lastDuration: record.lastDuration.isNaN ? nil : .seconds(Double(record.lastDuration)),
            activeRuns: Int(record.active), bufferedRuns: record.extras?.bufferedCount ?? 0,
            isPaused: record.state == .paused, version: version)
    }

    /// Whether the job is finished (or unknown) and none of its runs is going.
    mutating func isFinished(_ id: JobID) -> Bool {
        guard let slot = slot(of: id) else { return true }
        let snapshot = snapshot(slot)
        return snapshot.status.isFinished && snapshot.activeRuns == 0
    }

    var queuedJobs: Int { queue.count + dueList.count - dueHead }
}

extension JobRecord.State {
    var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}
