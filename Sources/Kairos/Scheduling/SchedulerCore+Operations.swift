import Foundation

extension SchedulerCore {
    // MARK: - Adding jobs

    func schedule<T: Trigger>(
        id explicitID: JobID?, name: String, trigger: T, options: JobOptions, body: JobBody,
        restoring: RestoredJobState?
    ) throws(SchedulerError) -> JobID {
        var options = options
        try Self.validate(&options, configuration: configuration)
        // The record is built before taking the lock; only what touches shared state is done under
        // it. A one-shot job needs a clock reading only if it runs on start or may be due already.
        var now = Double.nan
        if T.self != OnceTrigger.self || options.runOnStart
            || unsafeBitCast(trigger, to: OnceTrigger.self).date.timeIntervalSinceReferenceDate <= latestReading + 1
        {
            now = self.now
        }
        let storage = TriggerStorage(trigger, anchoredAt: now)
        var record = JobRecord.free(generation: 0)
        record.name = name
        record.trigger = storage
        record.body = body
        record.state = options.startPaused ? .paused : .pending
        if explicitID != nil { record.flags.insert(.explicitID) }
        var first: Double?
        if let restoring {
            record.runs = restoring.counters.runs
            record.lastDue = restoring.lastDueDate?.timeIntervalSinceReferenceDate ?? .nan
            if restoring.counters != JobCounters(runs: restoring.counters.runs) {
                let extras = record.extrasCreatingIfNeeded()
                extras.counters = restoring.counters
            }
            if restoring.isPaused { record.state = .paused }
            if let finished = restoring.finishedStatus, finished.isFinished {
                record.state = finished == .cancelled ? .cancelled : finished == .failed ? .failed : .completed
                record.flags.insert(.exhausted)
            }
            if let next = restoring.nextDueDate {
                first = next.timeIntervalSinceReferenceDate
            } else if let last = restoring.lastDueDate {
                first = storage.nextDue(after: last.timeIntervalSinceReferenceDate)
            } else {
                first = Self.firstDue(storage, now: now)
            }
            if let maxRuns = options.maxRuns, record.fired >= maxRuns { record.flags.insert(.exhausted) }
        } else {
            first = Self.firstDue(storage, now: now)
        }
        let state = record.state
        return try withLock { (effects: inout Effects) throws(SchedulerError) -> JobID in
            if let explicitID, slotLocked(of: explicitID) != nil { throw .duplicateJobID(explicitID) }
            let (slot, id) = allocateSlotLocked(explicit: explicitID)
            record.id = id
            record.generation = records[Int(slot)].generation
            record.optionsIndex = internOptionsLocked(options)
            // A swap, not a copy: the free record left in `record` is destroyed after the lock.
            swap(&records[Int(slot)], &record)
            jobCount += 1
            if state == .paused { pausedCount += 1 }
            if let key = storage.eventKey, !state.isFinished {
                let waiter = SignalWaiter(kind: .job, id: id.description, name: name)
                let subscription = hub.subscribe(key, waiter: waiter, once: false) { [weak self] payload in
                    self?.eventPosted(slot: slot, id: id, payload: payload)
                }
                records[Int(slot)].extrasCreatingIfNeeded().subscription = subscription
            }
            noteLocked(.scheduled, slot: slot, effects: &effects)
            if state.isFinished {
                retainFinishedLocked(slot, effects: &effects)
                return id
            }
            if options.runOnStart, lifecycle.isRunning, !paused, state == .pending {
                fireOrOverlapLocked(slot: slot, due: now, payload: nil, effects: &effects)
            }
            queueNextLocked(slot: slot, next: first, reading: now, effects: &effects)
            return id
        }
    }

    static func validate(_ options: inout JobOptions, configuration: Scheduler.Configuration) throws(SchedulerError) {
        if let maxRuns = options.maxRuns, maxRuns < 1 {
            throw .invalidOption(option: "maxRuns", reason: "must be at least 1 (got \(maxRuns))")
        }
        if let timeout = options.timeout, !(timeout > .zero) {
            throw .invalidOption(option: "timeout", reason: "must be positive (got \(timeout))")
        }
        options.overlap = options.overlap ?? configuration.defaultOverlap
        options.misfire = options.misfire ?? configuration.defaultMisfire
        switch options.overlap?.kind {
        case .bufferAll(let limit) where limit < 1:
            throw .invalidOption(option: "overlap", reason: "bufferAll needs a limit of at least 1 (got \(limit))")
        case .allowAll(let limit) where limit < 1 || limit > Int(UInt16.max):
            throw .invalidOption(option: "overlap", reason: "allowAll needs a limit from 1 to 65535 (got \(limit))")
        default:
            break
        }
    }

    /// Anchors an unanchored interval trigger (possibly inside a jitter) at `date`.
    static func anchor(_ trigger: any Trigger, at date: Date) -> any Trigger {
        if let interval = trigger as? IntervalTrigger { return interval.anchored(at: date) }
        if let jittered = trigger as? JitteredTrigger, let anchoredBase = Optional(anchor(jittered.base, at: date)) {
            var copy = jittered
            copy.base = anchoredBase
            return copy
        }
        return trigger
    }

    /// The first due date of a new job: a one-shot's date even if it has passed (it is then
    /// handled as missed), otherwise the trigger's first date at or after now.
    static func firstDue(_ storage: TriggerStorage, now: Double) -> Double? {
        if case .once(let date) = storage { return date }
        return storage.firstDue(atOrAfter: now)
    }

    // MARK: - Events

    func eventPosted(slot: UInt32, id: JobID, payload: JSONValue?) {
        withLock { effects in
            guard slotLocked(of: id) == slot else { return }
            let record = records[Int(slot)]
            guard !record.state.isFinished, !record.flags.contains(.exhausted) else { return }
            let now = self.now
            if record.state == .paused || !lifecycle.isRunning || paused {
                records[Int(slot)].extrasCreatingIfNeeded().counters.missed += 1
                totals.missed += 1
                noteLocked(.missed, slot: slot, due: now, effects: &effects)
                return
            }
            fireOrOverlapLocked(slot: slot, due: now, payload: payload, effects: &effects)
            finishIfDoneLocked(slot: slot, effects: &effects)
        }
    }

    // MARK: - Changing jobs

    func cancel(_ id: JobID) -> Bool {
        withLock { effects in
            guard let slot = slotLocked(of: id) else { return false }
            let index = Int(slot)
            guard !records[index].state.isFinished else { return false }
            if records[index].state == .paused { pausedCount -= 1 }
            unqueueLocked(slot)
            records[index].state = .cancelled
            records[index].nextDue = .nan
            cancelActiveRunsLocked(slot: slot, reason: .cancelled, effects: &effects)
            if let extras = records[index].extras {
                extras.clearBuffer()
                if let subscription = extras.subscription {
                    effects.unsubscribes.append(subscription)
                    extras.subscription = nil
                }
            }
            noteLocked(.cancelled, slot: slot, effects: &effects)
            retainFinishedLocked(slot, effects: &effects)
            return true
        }
    }

    func pause(_ id: JobID) throws(SchedulerError) {
        try withLock { (effects: inout Effects) throws(SchedulerError) in
            let slot = try requireSlotLocked(id)
            let index = Int(slot)
            switch records[index].state {
            case .cancelled: throw .jobCancelled(id)
            case .pending:
                unqueueLocked(slot)
                records[index].state = .paused
                pausedCount += 1
                noteLocked(.paused, slot: slot, effects: &effects)
            default: break
            }
        }
    }

    func resume(_ id: JobID, catchingUp: Bool) throws(SchedulerError) {
        try withLock { (effects: inout Effects) throws(SchedulerError) in
            let slot = try requireSlotLocked(id)
            let index = Int(slot)
            switch records[index].state {
            case .cancelled: throw .jobCancelled(id)
            case .paused:
                records[index].state = .pending
                pausedCount -= 1
                noteLocked(.resumed, slot: slot, effects: &effects)
                var next: Double? = records[index].nextDue.isNaN ? nil : records[index].nextDue
                let now = self.now
                if !catchingUp, let due = next, due + jitterLocked(slot: slot, due: due) < now {
                    next = records[index].trigger.firstDue(atOrAfter: now)
                }
                if next == nil, records[index].flags.contains(.exhausted) || records[index].trigger.isUntimed {
                    records[index].nextDue = .nan
                    finishIfDoneLocked(slot: slot, effects: &effects)
                } else if let due = next, due + jitterLocked(slot: slot, due: due) < now, lifecycle.isRunning, !paused {
                    // Due while the job was paused: missed, however short the pause.
                    catchUpLocked(slot: slot, firstMissed: due, now: now, effects: &effects)
                } else {
                    queueNextLocked(slot: slot, next: next, effects: &effects)
                }
            default: break
            }
        }
    }

    func reschedule(_ id: JobID, trigger: any Trigger) throws(SchedulerError) {
        try withLock { (effects: inout Effects) throws(SchedulerError) in
            let slot = try requireSlotLocked(id)
            let index = Int(slot)
            let now = self.now
            guard records[index].state != .cancelled else { throw .jobCancelled(id) }
            let storage = TriggerStorage(trigger, anchoredAt: now)
            let oldKey = records[index].trigger.eventKey
            records[index].trigger = storage
            if oldKey != storage.eventKey {
                if let subscription = records[index].extras?.subscription {
                    effects.unsubscribes.append(subscription)
                    records[index].extras?.subscription = nil
                }
                if let key = storage.eventKey {
                    let name = records[index].name
                    let subscription = hub.subscribe(key, waiter: SignalWaiter(kind: .job, id: id.description, name: name), once: false) { [weak self] payload in
                        self?.eventPosted(slot: slot, id: id, payload: payload)
                    }
                    records[index].extrasCreatingIfNeeded().subscription = subscription
                }
            }
            if records[index].state == .completed || records[index].state == .failed {
                // Its stale entry in the finished list is skipped: the state is no longer finished.
                records[index].state = .pending
            }
            let options = optionsTable[Int(records[index].optionsIndex)]
            if options.maxRuns.map({ records[index].fired < $0 }) ?? true {
                records[index].flags.remove(.exhausted)
            }
            noteLocked(.rescheduled, slot: slot, effects: &effects)
            queueNextLocked(slot: slot, next: Self.firstDue(storage, now: now), effects: &effects)
        }
    }

    /// Fires a run of the job now. With `outsideLimit`, the run starts at once without waiting for
    /// an executor slot (a run requested from inside a running body, see ``Scheduler/runNow(_:)``).
    @discardableResult
    func runNow(
        _ id: JobID, attempt: Int = 1, outsideLimit: Bool = false,
        completion: @escaping @Sendable (RunOutcome) -> Void
    ) throws(SchedulerError) -> JobRun {
        let run = try withLock { (effects: inout Effects) throws(SchedulerError) -> JobRun in
            let slot = try requireSlotLocked(id)
            guard records[Int(slot)].state != .cancelled else { throw .jobCancelled(id) }
            if let maxRuns = optionsTable[Int(records[Int(slot)].optionsIndex)].maxRuns, records[Int(slot)].fired >= maxRuns {
                throw .maxRunsReached(id, maxRuns: maxRuns)
            }
            guard records[Int(slot)].active < UInt16.max else {
                throw .invalidOption(option: "runNow", reason: "65535 runs of job \(id) are already in flight")
            }
            let now = self.now
            let run = startRunLocked(
                slot: slot, due: now, startAfter: -.infinity, payload: nil, attempt: attempt,
                completion: completion, effects: &effects)
            // Started below, once the `fired` change is delivered, instead of queued for a slot.
            if outsideLimit { effects.runs.removeLast() }
            return run
        }
        if outsideLimit { executor.startOutsideLimit(run) }
        return run
    }

    /// Cancels one run (``Scheduler/runNow(_:)`` when its caller is cancelled): withdrawn if it
    /// has not started, cancelled cooperatively if it has.
    func cancelRun(_ run: JobRun) {
        executor.cancel(run, reason: .cancelled)
    }

    // MARK: - Lifecycle

    func start() {
        withLock { effects in
            let thread: SchedulerThreadState?
            switch lifecycle {
            case .running: return
            case .idle, .stopped: thread = nil
            case .stopping(let alive): thread = alive  // the thread has not ended yet: it carries on
            }
            let now = self.now
            heldUntil = now
            lifecycle = .running(thread ?? .busy)
            for index in records.indices where records[index].state == .pending {
                let options = optionsTable[Int(records[index].optionsIndex)]
                if options.runOnStart {
                    fireOrOverlapLocked(slot: UInt32(index), due: now, payload: nil, effects: &effects)
                    finishIfDoneLocked(slot: UInt32(index), effects: &effects)
                }
            }
            if thread == nil { startThreadLocked() }
            signalThreadLocked()
        }
    }

    func beginStop() {
        withLock { _ in
            guard case .running(let thread) = lifecycle else { return }
            lifecycle = .stopping(thread)
            signalThreadLocked()
        }
    }

    func setPaused(_ value: Bool) {
        withLock { _ in
            if paused, !value, lifecycle.isRunning { heldUntil = now }
            paused = value
            signalThreadLocked()
        }
    }

    func cancelAllActiveRuns() {
        withLock { effects in
            for index in records.indices where records[index].active > 0 {
                cancelActiveRunsLocked(slot: UInt32(index), reason: .cancelled, effects: &effects)
            }
        }
    }

    func shutdown() {
        var subscriptions: [SignalHub.Subscription] = []
        withLock { _ in
            lifecycle = lifecycle.thread.map(SchedulerLifecycle.stopping) ?? .stopped
            signalThreadLocked()
            for index in records.indices {
                if let subscription = records[index].extras?.subscription { subscriptions.append(subscription) }
            }
        }
        for subscription in subscriptions { hub.unsubscribe(subscription) }
        executor.shutdown()
        bus.finishStreams()
    }

    // MARK: - Reading

    func snapshot(_ id: JobID) -> JobSnapshot? {
        condition.lock()
        defer { condition.unlock() }
        return slotLocked(of: id).map { snapshotLocked($0) }
    }

    func snapshots(status: JobStatus?) -> [JobSnapshot] {
        condition.lock()
        defer { condition.unlock() }
        var result: [JobSnapshot] = []
        for index in records.indices where records[index].state != .free {
            if let status, records[index].status != status { continue }
            result.append(snapshotLocked(UInt32(index)))
        }
        return result.sorted { $0.id < $1.id }
    }

    func nextFireDates(of id: JobID, count: Int) throws(SchedulerError) -> [Date] {
        let (storage, next, remaining) = try withLock { (_: inout Effects) throws(SchedulerError) in
            let record = records[Int(try requireSlotLocked(id))]
            let remaining = optionsTable[Int(record.optionsIndex)].maxRuns.map { $0 - record.fired } ?? .max
            return (record.trigger, record.nextDue, remaining)
        }
        var dates: [Date] = []
        var due: Double? = next.isNaN ? nil : next
        while let current = due, dates.count < min(count, remaining) {
            dates.append(Date(timeIntervalSinceReferenceDate: current))
            due = storage.nextDue(after: current)
        }
        return dates
    }

    var stats: SchedulerStats {
        condition.lock()
        defer { condition.unlock() }
        return statsLocked()
    }

    /// Whether no run is going and nothing is due at the clock's current time.
    /// Whether the job is finished (or unknown) and none of its runs is going.
    func isFinishedLocked(_ id: JobID) -> Bool {
        guard let slot = slotLocked(of: id) else { return true }
        let snapshot = snapshotLocked(slot)
        return snapshot.status.isFinished && snapshot.activeRuns == 0
    }

    func isIdleLocked() -> Bool {
        guard activeRuns == 0 else { return false }
        if case .delivering(reporting: true, _)? = lifecycle.thread { return false }
        guard lifecycle.isRunning, !paused else { return true }
        let now = self.now
        if dueHead < dueList.count { return false }
        if let first = queue.min, first.date <= now { return false }
        if let first = timeouts.first, first.deadline <= now { return false }
        return true
    }
}
