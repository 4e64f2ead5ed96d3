import Foundation

extension JobTimeline {
    // MARK: - Queueing

    /// Queues the job in `slot` to fire at `fireDate`: in the due list if that has come already
    /// (the clock is read only for dates near the latest reading), else in the heap, asking for
    /// the scheduler thread to be woken if the job became the head.
    ///
    /// `reading` is a clock reading the caller took before the lock, or NaN.
    mutating func enqueue(_ slot: UInt32, at fireDate: Double, reading: Double = .nan, effects: inout Effects) {
        let index = Int(slot)
        if records[index].flags.contains(.inDueList) { removeFromDueList(slot) }
        if reading > recentNow { noteReading(reading) }
        if fireDate <= recentNow + 1 {
            if fireDate > recentNow { noteReading(now) }
            if fireDate <= recentNow {
                queue.remove(slot: slot)
                records[index].flags.insert(.inDueList)
                dueList.append(slot)
                if dueList.count - dueHead == 1 { effects.wakeForDueList = true }
                return
            }
        }
        if queue.insert(slot: slot, date: fireDate, priority: priority(slot: slot)), fireDate < effects.wakeForDate {
            effects.wakeForDate = fireDate
        }
    }

    /// Takes the job in `slot` out of the heap or the due list.
    mutating func unqueue(_ slot: UInt32) {
        if records[Int(slot)].flags.contains(.inDueList) {
            removeFromDueList(slot)
        } else {
            queue.remove(slot: slot)
        }
    }

    /// O(length of the due list), which the scheduler thread keeps short; only a job changed
    /// within moments of being queued already due pays it.
    private mutating func removeFromDueList(_ slot: UInt32) {
        records[Int(slot)].flags.remove(.inDueList)
        if let position = dueList[dueHead...].firstIndex(of: slot) { dueList.remove(at: position) }
    }

    /// Pops every job due at `now` and fires it.
    mutating func fireDue(now: Double, effects: inout Effects) {
        noteReading(now)
        while true {
            if dueHead < dueList.count {
                let slot = dueList[dueHead]
                dueHead += 1
                records[Int(slot)].flags.remove(.inDueList)
                let due = records[Int(slot)].nextDue.seconds
                fire(slot: slot, fireDate: due + jitter(slot: slot, due: due), now: now, effects: &effects)
            } else if let entry = queue.popMin(dueAtOrBefore: now) {
                fire(slot: entry.slot, fireDate: entry.date, now: now, effects: &effects)
            } else {
                break
            }
        }
        dueList.removeAll(keepingCapacity: dueList.count < 65_536)
        dueHead = 0
    }

    /// Fires the queued job in `slot` (already removed from the queue).
    private mutating func fire(slot: UInt32, fireDate: Double, now: Double, effects: inout Effects) {
        let index = Int(slot)
        guard records[index].state == .pending else { return }
        let due = records[index].nextDue.seconds
        if MisfireSelection.isMissed(fireDate: fireDate, now: now, threshold: threshold, heldUntil: heldUntil) {
            catchUp(slot: slot, firstMissed: due, now: now, effects: &effects)
            return
        }
        let next = records[index].trigger.nextDue(after: due)
        fireOrOverlap(slot: slot, due: due, payload: nil, effects: &effects)
        queueNext(slot: slot, next: next, effects: &effects)
    }

    /// Remembers a clock reading if it is the latest.
    mutating func noteReading(_ reading: Double) {
        if reading > recentNow { recentNow = reading }
    }

    /// Queues the job at its next due date, or marks its trigger exhausted. `reading`: as for
    /// ``enqueue(_:at:reading:effects:)``.
    mutating func queueNext(slot: UInt32, next: Double?, reading: Double = .nan, effects: inout Effects) {
        let index = Int(slot)
        if let next, !records[index].flags.contains(.exhausted), records[index].state == .pending || records[index].state == .paused {
            records[index].nextDue = DueInstant(next)
            if records[index].state == .pending {
                enqueue(slot, at: next + jitter(slot: slot, due: next), reading: reading, effects: &effects)
            }
        } else {
            records[index].nextDue = .none
            unqueue(slot)
            if !records[index].trigger.isUntimed { records[index].flags.insert(.exhausted) }
            finishIfDone(slot: slot, effects: &effects)
        }
    }

    func jitter(slot: UInt32, due: Double) -> Double {
        let maxJitter = records[Int(slot)].trigger.jitter
        guard maxJitter > 0 else { return 0 }
        return JitteredTrigger.delay(for: id(of: slot), dueDate: Date(timeIntervalSinceReferenceDate: due), maxJitter: maxJitter)
    }

    // MARK: - Misfires

    /// Handles missed due dates (reached more than the threshold late, or due before `heldUntil`)
    /// as ``MisfireSelection`` decides: runs the chosen ones, counts and reports the dropped
    /// ones, queues the next future date.
    mutating func catchUp(slot: UInt32, firstMissed: Double, now: Double, effects: inout Effects) {
        let index = Int(slot)
        let policy = optionsTable[Int(records[index].optionsIndex)].misfire ?? defaultMisfire
        let selection = MisfireSelection(records[index].trigger, firstMissed: firstMissed, now: now, policy: policy)
        if let span = selection.droppedSpan {
            records[index].extrasCreatingIfNeeded().counters.missed += selection.missedCount
            totals.missed += selection.missedCount
            note(.missed, slot: slot, due: span.lowerBound, lastMissed: span.upperBound, count: selection.missedCount, effects: &effects)
        }
        for (position, due) in selection.dueDates.enumerated() {
            if position == 0 {
                fireOrOverlap(slot: slot, due: due, payload: nil, effects: &effects)
            } else {
                buffer(slot: slot, due: due, payload: nil)
            }
        }
        let next = selection.next
        queueNext(slot: slot, next: next, effects: &effects)
    }

    // MARK: - Overlap

    /// Starts a run for `due` unless a run is going, in which case the overlap policy decides
    /// (``OverlapDecision``).
    mutating func fireOrOverlap(slot: UInt32, due: Double, payload: JSONValue?, effects: inout Effects) {
        let index = Int(slot)
        if maxRunsReached(slot: slot) { return }
        let decision: OverlapDecision
        if records[index].active == 0 {
            decision = .start  // the common case, without reading the policy
        } else {
            decision = OverlapDecision(
                policy: optionsTable[Int(records[index].optionsIndex)].overlap ?? defaultOverlap,
                active: Int(records[index].active), buffered: records[index].extras?.bufferedCount ?? 0)
        }
        switch decision {
        case .start:
            startRun(
                slot: slot, due: due, startAfter: due + jitter(slot: slot, due: due), payload: payload,
                attempt: 1, completion: .none, effects: &effects)
        case .skip:
            countOverlapSkip(slot: slot, due: due, effects: &effects)
        case .buffer:
            buffer(slot: slot, due: due, payload: payload)
        case .dropFire:
            records[index].extrasCreatingIfNeeded().counters.bufferDropped += 1
            totals.bufferDropped += 1
            note(.bufferDropped, slot: slot, due: due, effects: &effects)
        case .replaceBuffer:
            replaceBuffer(slot: slot, due: due, payload: payload, effects: &effects)
        case .cancelRunsAndReplaceBuffer:
            cancelActiveRuns(slot: slot, reason: .cancelled, effects: &effects)
            replaceBuffer(slot: slot, due: due, payload: payload, effects: &effects)
        }
    }

    private mutating func countOverlapSkip(slot: UInt32, due: Double, effects: inout Effects) {
        records[Int(slot)].extrasCreatingIfNeeded().counters.overlapSkipped += 1
        totals.overlapSkipped += 1
        note(.overlapSkipped, slot: slot, due: due, effects: &effects)
    }

    private mutating func replaceBuffer(slot: UInt32, due: Double, payload: JSONValue?, effects: inout Effects) {
        let extras = records[Int(slot)].extrasCreatingIfNeeded()
        let dropped = extras.bufferedCount
        if dropped > 0 {
            extras.clearBuffer()
            extras.counters.bufferDropped += dropped
            totals.bufferDropped += dropped
            note(.bufferDropped, slot: slot, due: due, count: dropped, effects: &effects)
        }
        extras.buffered.append((due, payload))
    }

    /// Queues a fire behind the current run (overlap `bufferAll`, and misfire `runAll` whatever
    /// the overlap policy).
    private mutating func buffer(slot: UInt32, due: Double, payload: JSONValue?) {
        records[Int(slot)].extrasCreatingIfNeeded().buffered.append((due, payload))
    }

    mutating func cancelActiveRuns(slot: UInt32, reason: JobRun.Cancellation, effects: inout Effects) {
        let index = Int(slot)
        if let run = records[index].activeRun { effects.cancels.append((run, reason)) }
        if let extras = records[index].extras {
            for run in extras.otherActive { effects.cancels.append((run, reason)) }
        }
    }

    // MARK: - Runs

    /// Creates a run and hands it to the effects for the executor.
    @discardableResult
    mutating func startRun(
        slot: UInt32, due: Double, startAfter: Double, payload: JSONValue?, attempt: Int,
        completion: RunCompletion, effects: inout Effects
    ) -> JobRun {
        let index = Int(slot)
        records[index].active += 1
        records[index].lastDue = DueInstant(due)
        activeRuns += 1
        runSequence &+= 1
        let options = optionsTable[Int(records[index].optionsIndex)]
        let run = runPool.popLast() ?? JobRun()
        run.reuse(
            jobID: id(of: slot), slot: slot, name: names[slot], dueDate: Date(timeIntervalSinceReferenceDate: due),
            startAfter: startAfter, priority: Int32(clamping: options.priority), sequence: runSequence, attempt: attempt,
            payload: payload, body: records[index].body, timeout: options.timeout?.timeInterval, completion: completion)
        if records[index].activeRun == nil {
            records[index].activeRun = run
        } else {
            records[index].extrasCreatingIfNeeded().otherActive.append(run)
        }
        if let maxRuns = options.maxRuns, records[index].fired >= maxRuns {
            records[index].flags.insert(.exhausted)
            records[index].nextDue = .none
            unqueue(slot)
        }
        effects.runs.append(run)
        note(.fired, slot: slot, due: due, effects: &effects)
        return run
    }

    func priority(slot: UInt32) -> Int32 {
        Int32(clamping: optionsTable[Int(records[Int(slot)].optionsIndex)].priority)
    }

    func maxRunsReached(slot: UInt32) -> Bool {
        guard let maxRuns = optionsTable[Int(records[Int(slot)].optionsIndex)].maxRuns else { return false }
        return records[Int(slot)].fired >= maxRuns
    }

    /// Marks the job finished if nothing more will ever run.
    mutating func finishIfDone(slot: UInt32, effects: inout Effects) {
        let index = Int(slot)
        let state = records[index].state
        guard records[index].flags.contains(.exhausted), records[index].active == 0,
            (records[index].extras?.bufferedCount ?? 0) == 0, state == .pending || state == .paused
        else { return }
        if state == .paused { pausedCount -= 1 }
        records[index].state = records[index].flags.contains(.lastFailed) ? .failed : .completed
        note(.completed, slot: slot, effects: &effects)
        retainFinished(slot, effects: &effects)
    }

    // MARK: - Finished runs

    mutating func finishRun(_ completed: borrowing CompletedRun, effects: inout Effects) {
        let run = completed.run
        let slot = run.slot
        let index = Int(slot)
        assert(activeRuns > 0, "a run finished with none in flight")
        guard index < records.count, records[index].state != .free, id(of: slot) == run.jobID else {
            activeRuns -= 1
            noteCompletion(of: run, completed, effects: &effects)
            return
        }
        assert(records[index].active > 0, "slot \(slot) finished a run with none in flight")
        records[index].active -= 1
        activeRuns -= 1
        if records[index].activeRun === run {
            records[index].activeRun = nil
        } else if let extras = records[index].extras, let position = extras.otherActive.firstIndex(where: { $0 === run }) {
            extras.otherActive.remove(at: position)
        }
        if records[index].activeRun == nil, let extras = records[index].extras, !extras.otherActive.isEmpty {
            records[index].activeRun = extras.otherActive.removeFirst()
        }
        if completed.started {
            recordOutcome(completed, slot: slot, effects: &effects)
        } else {
            withdrawn(run, slot: slot, effects: &effects)
        }
        noteCompletion(of: run, completed, effects: &effects)
        let state = records[index].state
        if state == .pending || state == .paused, records[index].active == 0, let extras = records[index].extras,
            let buffered = extras.popBuffered()
        {
            if maxRunsReached(slot: slot) {
                extras.clearBuffer()
            } else {
                startRun(
                    slot: slot, due: buffered.due, startAfter: buffered.due, payload: buffered.payload,
                    attempt: 1, completion: .none, effects: &effects)
            }
        }
        finishIfDone(slot: slot, effects: &effects)
        if records[index].flags.contains(.forgetWhenIdle), records[index].active == 0 {
            freeSlot(slot, effects: &effects)
        }
    }

    /// Hands a finished run's outcome to whoever asked for the run.
    @inline(__always)
    private func noteCompletion(of run: JobRun, _ completed: borrowing CompletedRun, effects: inout Effects) {
        switch run.completion {
        case .none:
            break
        case .call(let completion):
            run.didStart = completed.started
            effects.completions.append((completion, completed.outcome))
        case .report(let sink, let token):
            effects.reports.append(
                (sink, Scheduler.FinishedRequestedRun(token: token, dueDate: run.dueDate, attempt: run.attempt, outcome: completed.outcome)))
        }
    }

    /// Counts a run that started and records how it ended.
    private mutating func recordOutcome(_ completed: borrowing CompletedRun, slot: UInt32, effects: inout Effects) {
        let run = completed.run
        let index = Int(slot)
        records[index].runs += 1
        totals.runs += 1
        records[index].lastStartOffset = Float(completed.start - records[index].lastDue.seconds)
        records[index].lastDuration = Float(completed.end - completed.start)
        let kind: SchedulerEvent.Kind
        switch completed.outcome {
        case .success:
            kind = .succeeded
            records[index].flags.remove(.lastFailed)
            if run.body.returnsVoid {
                records[index].flags.insert(.lastVoid)
                records[index].extras?.lastOutcome = nil
            } else {
                records[index].flags.remove(.lastVoid)
                records[index].extrasCreatingIfNeeded().lastOutcome = completed.outcome
            }
        case .failure, .timedOut, .cancelled:
            let timedOut = if case .timedOut = completed.outcome { true } else { false }
            let failed = if case .failure = completed.outcome { true } else { false }
            kind = timedOut ? .timedOut : failed ? .failed : .runCancelled
            records[index].flags.remove(.lastVoid)
            if failed || timedOut { records[index].flags.insert(.lastFailed) } else { records[index].flags.remove(.lastFailed) }
            let extras = records[index].extrasCreatingIfNeeded()
            extras.lastOutcome = completed.outcome
            if failed { extras.counters.failures += 1; totals.failures += 1 }
            if timedOut { extras.counters.timeouts += 1; totals.timeouts += 1 }
        }
        note(
            kind, slot: slot, due: run.dueDate.timeIntervalSinceReferenceDate, outcome: completed.outcome,
            duration: completed.end - completed.start, effects: &effects)
    }

    /// Reports a run cancelled before it started. It is no run: no counter changes, the last
    /// outcome stays, and it gives back its place under `maxRuns` (a job that `maxRuns`
    /// exhausted when the run fired is pending again, and continues with its trigger).
    private mutating func withdrawn(_ run: JobRun, slot: UInt32, effects: inout Effects) {
        let index = Int(slot)
        note(
            .runCancelled, slot: slot, due: run.dueDate.timeIntervalSinceReferenceDate, outcome: .cancelled,
            effects: &effects)
        guard records[index].flags.contains(.exhausted), let maxRuns = optionsTable[Int(records[index].optionsIndex)].maxRuns,
            records[index].fired < maxRuns, records[index].nextDue.isNone
        else { return }
        let state = records[index].state
        guard state == .pending || state == .paused else { return }
        if records[index].trigger.isUntimed {
            records[index].flags.remove(.exhausted)
        } else if let next = records[index].trigger.nextDue(after: now) {
            records[index].flags.remove(.exhausted)
            queueNext(slot: slot, next: next, effects: &effects)
        }
    }

}
