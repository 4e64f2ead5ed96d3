import Foundation

extension JobTimeline {
    // MARK: - Adding jobs

    /// Adds a job whose record the caller built (name, trigger, body, state, restored counters)
    /// and returns its ID. `first`: its first due date; `reading`: the clock reading the caller
    /// took for it, or NaN.
    mutating func add(
        _ record: inout JobRecord, name: String, explicitID: JobID?, options: JobOptions, first: Double?,
        reading: Double, effects: inout Effects
    ) throws(SchedulerError) -> JobID {
        if let explicitID, slot(of: explicitID) != nil { throw .duplicateJobID(explicitID) }
        let (slot, id) = allocateSlot(explicit: explicitID)
        let state = record.state
        record.generation = records[Int(slot)].generation
        record.optionsIndex = internOptions(options)
        // A swap, not a copy: the free record left in `record` is the caller's to destroy.
        swap(&records[Int(slot)], &record)
        if !name.isEmpty { names.set(name, at: slot) }
        jobCount += 1
        if state == .paused { pausedCount += 1 }
        if let key = records[Int(slot)].trigger.eventKey, !state.isFinished {
            effects.subscriptions.append(SignalSubscriptionRequest(slot: slot, id: id, key: key, name: name))
        }
        note(.scheduled, slot: slot, effects: &effects)
        if state.isFinished {
            retainFinished(slot, effects: &effects)
            return id
        }
        if options.runOnStart, isFiring, state == .pending {
            fireOrOverlap(slot: slot, due: reading, payload: nil, effects: &effects)
        }
        queueNext(slot: slot, next: first, reading: reading, effects: &effects)
        return id
    }

    /// Fills in a new job's `record` (a free one) before
    /// ``add(_:name:explicitID:options:first:reading:effects:)``, and returns its first due date: the
    /// trigger's first date at or after `now`, or the restored state's next one. `options` are
    /// validated and resolved. In place, not returned: a copy of the record costs a fifth of
    /// `schedule`.
    static func prepare(
        _ record: inout JobRecord, trigger storage: TriggerStorage, body: JobBody, options: JobOptions, explicitID: Bool,
        restoring: RestoredJobState?, now: Double
    ) -> Double? {
        record.trigger = storage
        record.body = body
        record.state = options.startPaused ? .paused : .pending
        if explicitID { record.flags.insert(.explicitID) }
        guard let restoring else { return firstDue(storage, now: now) }
        let first: Double?
        record.runs = restoring.counters.runs
        record.lastDue = DueInstant(restoring.lastDueDate?.timeIntervalSinceReferenceDate)
        if restoring.counters != JobCounters(runs: restoring.counters.runs) {
            record.extrasCreatingIfNeeded().counters = restoring.counters
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
            first = firstDue(storage, now: now)
        }
        if let maxRuns = options.maxRuns, record.fired >= maxRuns { record.flags.insert(.exhausted) }
        return first
    }

    /// The first due date of a new job: a one-shot's date even if it has passed (it is then
    /// handled as missed), otherwise the trigger's first date at or after now.
    static func firstDue(_ storage: TriggerStorage, now: Double) -> Double? {
        if case .once(let date) = storage { return date }
        return storage.firstDue(atOrAfter: now)
    }

    // MARK: - Signals

    /// A signal the job in `slot` waits for was posted: it fires now, or counts as missed while
    /// the job or the scheduler is paused or stopped.
    mutating func signalPosted(slot: UInt32, id: JobID, payload: JSONValue?, effects: inout Effects) {
        guard self.slot(of: id) == slot else { return }
        let record = records[Int(slot)]
        guard !record.state.isFinished, !record.flags.contains(.exhausted) else { return }
        let now = self.now
        if record.state == .paused || !isFiring {
            records[Int(slot)].extrasCreatingIfNeeded().counters.missed += 1
            totals.missed += 1
            note(.missed, slot: slot, due: now, effects: &effects)
            return
        }
        fireOrOverlap(slot: slot, due: now, payload: payload, effects: &effects)
        finishIfDone(slot: slot, effects: &effects)
    }

    // MARK: - Changing jobs

    /// Cancels the job: it leaves the queue, its runs are cancelled. Returns `false` if it is
    /// unknown or finished.
    mutating func cancel(_ id: JobID, effects: inout Effects) -> Bool {
        guard let slot = slot(of: id) else { return false }
        let index = Int(slot)
        guard !records[index].state.isFinished else { return false }
        if records[index].state == .paused { pausedCount -= 1 }
        unqueue(slot)
        records[index].state = .cancelled
        records[index].nextDue = .none
        cancelActiveRuns(slot: slot, reason: .cancelled, effects: &effects)
        if let extras = records[index].extras {
            extras.clearBuffer()
            if let subscription = extras.subscription {
                effects.unsubscribes.append(subscription)
                extras.subscription = nil
            }
        }
        note(.cancelled, slot: slot, effects: &effects)
        retainFinished(slot, effects: &effects)
        return true
    }

    mutating func pause(_ id: JobID, effects: inout Effects) throws(SchedulerError) {
        let slot = try requireSlot(id)
        let index = Int(slot)
        switch records[index].state {
        case .cancelled: throw .jobCancelled(id)
        case .pending:
            unqueue(slot)
            records[index].state = .paused
            pausedCount += 1
            note(.paused, slot: slot, effects: &effects)
        default: break
        }
    }

    mutating func resume(_ id: JobID, catchingUp: Bool, effects: inout Effects) throws(SchedulerError) {
        let slot = try requireSlot(id)
        let index = Int(slot)
        switch records[index].state {
        case .cancelled: throw .jobCancelled(id)
        case .paused:
            records[index].state = .pending
            pausedCount -= 1
            note(.resumed, slot: slot, effects: &effects)
            var next = records[index].nextDue.value
            let now = self.now
            if !catchingUp, let due = next, due + jitter(slot: slot, due: due) < now {
                next = records[index].trigger.firstDue(atOrAfter: now)
            }
            if next == nil, records[index].flags.contains(.exhausted) || records[index].trigger.isUntimed {
                records[index].nextDue = .none
                finishIfDone(slot: slot, effects: &effects)
            } else if let due = next, due + jitter(slot: slot, due: due) < now, isFiring {
                // Due while the job was paused: missed, however short the pause.
                catchUp(slot: slot, firstMissed: due, now: now, effects: &effects)
            } else {
                queueNext(slot: slot, next: next, effects: &effects)
            }
        default: break
        }
    }

    mutating func reschedule(_ id: JobID, trigger: any Trigger, effects: inout Effects) throws(SchedulerError) {
        let slot = try requireSlot(id)
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
                effects.subscriptions.append(SignalSubscriptionRequest(slot: slot, id: id, key: key, name: names[slot]))
            }
        }
        if records[index].state == .completed || records[index].state == .failed {
            // Its stale entry in the finished list is skipped: the state is no longer finished.
            records[index].state = .pending
        }
        if options(of: slot).maxRuns.map({ records[index].fired < $0 }) ?? true {
            records[index].flags.remove(.exhausted)
        }
        note(.rescheduled, slot: slot, effects: &effects)
        queueNext(slot: slot, next: Self.firstDue(storage, now: now), effects: &effects)
    }

    /// Fires a run of the job now, whatever its trigger and policies say (``Scheduler/runNow(_:)``).
    mutating func runNow(
        _ id: JobID, attempt: Int, completion: @escaping @Sendable (RunOutcome) -> Void, effects: inout Effects
    ) throws(SchedulerError) -> JobRun {
        let slot = try requireSlot(id)
        guard records[Int(slot)].state != .cancelled else { throw .jobCancelled(id) }
        if let maxRuns = options(of: slot).maxRuns, records[Int(slot)].fired >= maxRuns {
            throw .maxRunsReached(id, maxRuns: maxRuns)
        }
        guard records[Int(slot)].active < UInt16.max else {
            throw .invalidOption(option: "runNow", reason: "65535 runs of job \(id) are already in flight")
        }
        return startRun(
            slot: slot, due: now, startAfter: -.infinity, payload: nil, attempt: attempt, completion: .call(completion),
            effects: &effects)
    }

    /// Starts a run that a layer above asked for by job ID (a DAG run, a recovered run), whatever
    /// the job's trigger and policies say.
    mutating func startRequestedRun(
        _ id: JobID, dueDate: Double, payload: JSONValue?, attempt: Int, completion: RunCompletion,
        effects: inout Effects
    ) throws(SchedulerError) {
        let slot = try requireSlot(id)
        guard records[Int(slot)].state != .cancelled else { throw .jobCancelled(id) }
        startRun(
            slot: slot, due: dueDate, startAfter: -.infinity, payload: payload, attempt: attempt, completion: completion,
            effects: &effects)
    }

    // MARK: - Starting and pausing the scheduler

    /// The scheduler starts: dates due before now are missed from here on, and `runOnStart`
    /// jobs fire.
    mutating func start(effects: inout Effects) {
        let now = self.now
        isStarted = true
        heldUntil = now
        for index in records.indices where records[index].state == .pending {
            if optionsTable[Int(records[index].optionsIndex)].runOnStart {
                fireOrOverlap(slot: UInt32(index), due: now, payload: nil, effects: &effects)
                finishIfDone(slot: UInt32(index), effects: &effects)
            }
        }
    }

    /// Pauses or resumes the whole scheduler; on resuming, dates due during the pause are missed.
    mutating func setPaused(_ value: Bool) {
        if paused, !value, isStarted { heldUntil = now }
        paused = value
    }

    /// Cancels every run in flight.
    mutating func cancelAllActiveRuns(effects: inout Effects) {
        for index in records.indices where records[index].active > 0 {
            cancelActiveRuns(slot: UInt32(index), reason: .cancelled, effects: &effects)
        }
    }

    /// Every signal subscription, for the driver to end at shutdown.
    var allSubscriptions: [SignalHub.Subscription] {
        records.indices.compactMap { records[$0].extras?.subscription }
    }

    // MARK: - Reading

    mutating func snapshots(status: JobStatus?) -> [JobSnapshot] {
        var result: [JobSnapshot] = []
        for index in records.indices where records[index].state != .free {
            if let status, records[index].status != status { continue }
            result.append(snapshot(UInt32(index)))
        }
        return result.sorted { $0.id < $1.id }
    }
}
