import Foundation

extension SchedulerCore {
    /// How many runs one pass must fire for the scheduler thread to pause before the next (see
    /// ``Scheduler/Configuration/burstBatchingDelay``).
    static let burstThreshold = 16

    // MARK: - The scheduler thread

    /// Starts the scheduler thread; the caller has just made the lifecycle `running` from a
    /// state without a thread.
    func startThreadLocked() {
        let thread = Thread { [self] in threadMain() }
        thread.name = "Kairos scheduler"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    /// Queues the job in `slot` to fire at `fireDate`: in the due list if that has come already
    /// (the clock is read only for dates near the latest reading), else in the heap, waking the
    /// scheduler thread if the job became the head and the thread waits for a later date.
    ///
    /// `reading` is a clock reading the caller took before the lock, or NaN.
    func enqueueLocked(_ slot: UInt32, at fireDate: Double, reading: Double = .nan) {
        let index = Int(slot)
        if records[index].flags.contains(.inDueList) { removeFromDueListLocked(slot) }
        if reading > recentNow { noteReadingLocked(reading) }
        if fireDate <= recentNow + 1 {
            if fireDate > recentNow { noteReadingLocked(now) }
            if fireDate <= recentNow {
                queue.remove(slot: slot)
                records[index].flags.insert(.inDueList)
                dueList.append(slot)
                if dueList.count - dueHead == 1 { wakeThreadLocked(for: -.infinity) }
                return
            }
        }
        if queue.insert(slot: slot, date: fireDate, priority: priorityLocked(slot: slot)) {
            wakeThreadLocked(for: fireDate)
        }
    }

    /// Takes the job in `slot` out of the heap or the due list.
    func unqueueLocked(_ slot: UInt32) {
        if records[Int(slot)].flags.contains(.inDueList) {
            removeFromDueListLocked(slot)
        } else {
            queue.remove(slot: slot)
        }
    }

    /// O(length of the due list), which the scheduler thread keeps short; only a job changed
    /// within moments of being queued already due pays it.
    private func removeFromDueListLocked(_ slot: UInt32) {
        records[Int(slot)].flags.remove(.inDueList)
        if let position = dueList[dueHead...].firstIndex(of: slot) { dueList.remove(at: position) }
    }

    /// Wakes the scheduler thread if it waits past `date`. A job queued already due (`date` is
    /// minus infinity) does not end a burst pause: it is what the pause lets accumulate.
    func wakeThreadLocked(for date: Double) {
        switch lifecycle.thread {
        case .waiting(let until)? where date < until:
            lifecycle.thread = .busy
            condition.signal()
        case .delivering(let reporting, let pauseUntil?)? where date > -.infinity && date < pauseUntil:
            lifecycle.thread = .delivering(reporting: reporting, burstPauseUntil: nil)
            burstPauseEnd.signal()
        default:
            break
        }
    }

    /// Wakes the scheduler thread whatever it waits for, after a change of state.
    func signalThreadLocked() {
        switch lifecycle.thread {
        case .waiting?:
            lifecycle.thread = .busy
        case .delivering(let reporting, _?)?:
            lifecycle.thread = .delivering(reporting: reporting, burstPauseUntil: nil)
            burstPauseEnd.signal()
        default:
            break
        }
        condition.signal()
    }

    private func threadMain() {
        TimerSlack.minimize()
        condition.lock()
        while lifecycle.isRunning {
            let now = self.now
            if !paused { fireDueLocked(now: now, effects: &threadEffects) }
            expireTimeoutsLocked(now: now, effects: &threadEffects)
            wakeProgressWaitersLocked(&threadEffects)
            if !threadEffects.isEmpty {
                var effects = threadEffects
                threadEffects = Effects()
                let pause = effects.runs.count >= Self.burstThreshold ? burstPauseLocked(now: now) : 0
                let pauseEnd: DispatchTime = pause < 86_400 ? .now() + pause : .distantFuture
                // Until its events are delivered, the pass is not over: a waiter for idleness
                // must not see the state it left before what it reported (`isIdleLocked`).
                let reporting = !(effects.events.isEmpty && effects.changes.isEmpty && effects.completions.isEmpty)
                lifecycle.thread = .delivering(reporting: reporting, burstPauseUntil: pause > 0 ? now + pause : nil)
                condition.unlock()
                perform(&effects)
                if pause > 0 { _ = burstPauseEnd.wait(timeout: pauseEnd) }
                condition.lock()
                if pause > 0 { finishBurstPauseLocked() }
                lifecycle.thread = .busy
                threadEffects = effects
                if reporting { wakeProgressWaitersLocked(&threadEffects) }
                continue
            }
            checkInvariantsLocked()
            var deadline = paused ? Double.infinity : dueHead < dueList.count ? -Double.infinity : (queue.min?.date ?? .infinity)
            if let first = timeouts.first { deadline = min(deadline, first.deadline) }
            lifecycle.thread = .waiting(until: deadline)
            clock.wait(on: condition, until: deadline.isFinite ? Date(timeIntervalSinceReferenceDate: deadline) : nil)
            lifecycle.thread = .busy
        }
        lifecycle = .stopped
        condition.unlock()
    }

    /// How long to pause after a pass that fired a burst: the configured delay, cut short where
    /// the earliest due date or run timeout comes first. Only with the system clock, whose seconds
    /// are real ones: a pause in real time would hold up a virtual clock's time.
    private func burstPauseLocked(now: Double) -> Double {
        guard burstBatchingDelay > 0, clock is SystemClock else { return 0 }
        var pause = burstBatchingDelay
        if let head = queue.min?.date { pause = min(pause, head - now) }
        if let first = timeouts.first { pause = min(pause, first.deadline - now) }
        return max(0, pause)
    }

    /// Ends the burst pause the scheduler thread has just woken from. If something ended it
    /// early, its signal may still be pending (the wait timed out first): it is consumed here, so
    /// that the next pause is not cut short. The signaller holds the lock, so the signal has been
    /// sent by the time the thread holds it again.
    private func finishBurstPauseLocked() {
        if case .delivering(_, nil)? = lifecycle.thread { _ = burstPauseEnd.wait(timeout: .now()) }
    }

    /// Pops every job due at `now` and fires it.
    func fireDueLocked(now: Double, effects: inout Effects) {
        noteReadingLocked(now)
        while true {
            if dueHead < dueList.count {
                let slot = dueList[dueHead]
                dueHead += 1
                records[Int(slot)].flags.remove(.inDueList)
                let due = records[Int(slot)].nextDue
                fireLocked(slot: slot, fireDate: due + jitterLocked(slot: slot, due: due), now: now, effects: &effects)
            } else if let entry = queue.popMin(dueAtOrBefore: now) {
                fireLocked(slot: entry.slot, fireDate: entry.date, now: now, effects: &effects)
            } else {
                break
            }
        }
        dueList.removeAll(keepingCapacity: dueList.count < 65_536)
        dueHead = 0
    }

    /// Fires the queued job in `slot` (already removed from the queue).
    private func fireLocked(slot: UInt32, fireDate: Double, now: Double, effects: inout Effects) {
        let index = Int(slot)
        guard records[index].state == .pending else { return }
        let due = records[index].nextDue
        if MisfireSelection.isMissed(fireDate: fireDate, now: now, threshold: threshold, heldUntil: heldUntil) {
            catchUpLocked(slot: slot, firstMissed: due, now: now, effects: &effects)
            return
        }
        let next = records[index].trigger.nextDue(after: due)
        fireOrOverlapLocked(slot: slot, due: due, payload: nil, effects: &effects)
        queueNextLocked(slot: slot, next: next, effects: &effects)
    }

    /// Remembers a clock reading if it is the latest.
    func noteReadingLocked(_ reading: Double) {
        guard reading > recentNow else { return }
        recentNow = reading
        recentNowBits.store(reading.bitPattern, ordering: .relaxed)
    }

    /// The latest clock reading the scheduler has seen, readable without the lock (it may be a
    /// moment stale, which only costs a clock reading).
    var latestReading: Double { Double(bitPattern: recentNowBits.load(ordering: .relaxed)) }

    /// Queues the job at its next due date, or marks its trigger exhausted. `reading`: as for
    /// ``enqueueLocked(_:at:reading:)``.
    func queueNextLocked(slot: UInt32, next: Double?, reading: Double = .nan, effects: inout Effects) {
        let index = Int(slot)
        if let next, !records[index].flags.contains(.exhausted), records[index].state == .pending || records[index].state == .paused {
            records[index].nextDue = next
            if records[index].state == .pending {
                enqueueLocked(slot, at: next + jitterLocked(slot: slot, due: next), reading: reading)
            }
        } else {
            records[index].nextDue = .nan
            unqueueLocked(slot)
            if !records[index].trigger.isUntimed { records[index].flags.insert(.exhausted) }
            finishIfDoneLocked(slot: slot, effects: &effects)
        }
    }

    func jitterLocked(slot: UInt32, due: Double) -> Double {
        let maxJitter = records[Int(slot)].trigger.jitter
        guard maxJitter > 0 else { return 0 }
        return JitteredTrigger.delay(for: records[Int(slot)].id, dueDate: Date(timeIntervalSinceReferenceDate: due), maxJitter: maxJitter)
    }

    // MARK: - Misfires

    /// Handles missed due dates (reached more than the threshold late, or due before `heldUntil`)
    /// as ``MisfireSelection`` decides: runs the chosen ones, counts and reports the dropped
    /// ones, queues the next future date.
    func catchUpLocked(slot: UInt32, firstMissed: Double, now: Double, effects: inout Effects) {
        let index = Int(slot)
        let policy = optionsTable[Int(records[index].optionsIndex)].misfire ?? configuration.defaultMisfire
        let selection = MisfireSelection(records[index].trigger, firstMissed: firstMissed, now: now, policy: policy)
        if let span = selection.droppedSpan {
            records[index].extrasCreatingIfNeeded().counters.missed += selection.missedCount
            totals.missed += selection.missedCount
            noteLocked(.missed, slot: slot, due: span.lowerBound, lastMissed: span.upperBound, count: selection.missedCount, effects: &effects)
        }
        for (position, due) in selection.dueDates.enumerated() {
            if position == 0 {
                fireOrOverlapLocked(slot: slot, due: due, payload: nil, effects: &effects)
            } else {
                bufferLocked(slot: slot, due: due, payload: nil)
            }
        }
        let next = selection.next
        queueNextLocked(slot: slot, next: next, effects: &effects)
    }

    // MARK: - Overlap

    /// Starts a run for `due` unless a run is going, in which case the overlap policy decides
    /// (``OverlapDecision``).
    func fireOrOverlapLocked(slot: UInt32, due: Double, payload: JSONValue?, effects: inout Effects) {
        let index = Int(slot)
        if maxRunsReachedLocked(slot: slot) { return }
        let decision: OverlapDecision
        if records[index].active == 0 {
            decision = .start  // the common case, without reading the policy
        } else {
            decision = OverlapDecision(
                policy: optionsTable[Int(records[index].optionsIndex)].overlap ?? configuration.defaultOverlap,
                active: Int(records[index].active), buffered: records[index].extras?.bufferedCount ?? 0)
        }
        switch decision {
        case .start:
            startRunLocked(
                slot: slot, due: due, startAfter: due + jitterLocked(slot: slot, due: due), payload: payload,
                attempt: 1, completion: nil, effects: &effects)
        case .skip:
            countOverlapSkipLocked(slot: slot, due: due, effects: &effects)
        case .buffer:
            bufferLocked(slot: slot, due: due, payload: payload)
        case .dropFire:
            records[index].extrasCreatingIfNeeded().counters.bufferDropped += 1
            totals.bufferDropped += 1
            noteLocked(.bufferDropped, slot: slot, due: due, effects: &effects)
        case .replaceBuffer:
            replaceBufferLocked(slot: slot, due: due, payload: payload, effects: &effects)
        case .cancelRunsAndReplaceBuffer:
            cancelActiveRunsLocked(slot: slot, reason: .cancelled, effects: &effects)
            replaceBufferLocked(slot: slot, due: due, payload: payload, effects: &effects)
        }
    }

    private func countOverlapSkipLocked(slot: UInt32, due: Double, effects: inout Effects) {
        records[Int(slot)].extrasCreatingIfNeeded().counters.overlapSkipped += 1
        totals.overlapSkipped += 1
        noteLocked(.overlapSkipped, slot: slot, due: due, effects: &effects)
    }

    private func replaceBufferLocked(slot: UInt32, due: Double, payload: JSONValue?, effects: inout Effects) {
        let extras = records[Int(slot)].extrasCreatingIfNeeded()
        let dropped = extras.bufferedCount
        if dropped > 0 {
            extras.clearBuffer()
            extras.counters.bufferDropped += dropped
            totals.bufferDropped += dropped
            noteLocked(.bufferDropped, slot: slot, due: due, count: dropped, effects: &effects)
        }
        extras.buffered.append((due, payload))
    }

    /// Queues a fire behind the current run (overlap `bufferAll`, and misfire `runAll` whatever
    /// the overlap policy).
    private func bufferLocked(slot: UInt32, due: Double, payload: JSONValue?) {
        records[Int(slot)].extrasCreatingIfNeeded().buffered.append((due, payload))
    }

    func cancelActiveRunsLocked(slot: UInt32, reason: JobRun.Cancellation, effects: inout Effects) {
        let index = Int(slot)
        if let run = records[index].activeRun { effects.cancels.append((run, reason)) }
        if let extras = records[index].extras {
            for run in extras.otherActive { effects.cancels.append((run, reason)) }
        }
    }

    // MARK: - Runs

    /// Creates a run and hands it to the effects for the executor.
    @discardableResult
    func startRunLocked(
        slot: UInt32, due: Double, startAfter: Double, payload: JSONValue?, attempt: Int,
        completion: (@Sendable (RunOutcome) -> Void)?, effects: inout Effects
    ) -> JobRun {
        let index = Int(slot)
        records[index].active += 1
        records[index].lastDue = due
        activeRuns += 1
        runSequence &+= 1
        let options = optionsTable[Int(records[index].optionsIndex)]
        let run = runPool.popLast() ?? JobRun()
        run.reuse(
            jobID: records[index].id, slot: slot, name: records[index].name, dueDate: Date(timeIntervalSinceReferenceDate: due),
            startAfter: startAfter, priority: Int32(clamping: options.priority), sequence: runSequence, attempt: attempt,
            payload: payload, body: records[index].body, timeout: options.timeout?.timeInterval, completion: completion)
        if records[index].activeRun == nil {
            records[index].activeRun = run
        } else {
            records[index].extrasCreatingIfNeeded().otherActive.append(run)
        }
        if let maxRuns = options.maxRuns, records[index].fired >= maxRuns {
            records[index].flags.insert(.exhausted)
            records[index].nextDue = .nan
            unqueueLocked(slot)
        }
        effects.runs.append(run)
        noteLocked(.fired, slot: slot, due: due, effects: &effects)
        return run
    }

    func priorityLocked(slot: UInt32) -> Int32 {
        Int32(clamping: optionsTable[Int(records[Int(slot)].optionsIndex)].priority)
    }

    func maxRunsReachedLocked(slot: UInt32) -> Bool {
        guard let maxRuns = optionsTable[Int(records[Int(slot)].optionsIndex)].maxRuns else { return false }
        return records[Int(slot)].fired >= maxRuns
    }

    /// Marks the job finished if nothing more will ever run.
    func finishIfDoneLocked(slot: UInt32, effects: inout Effects) {
        let index = Int(slot)
        let state = records[index].state
        guard records[index].flags.contains(.exhausted), records[index].active == 0,
            (records[index].extras?.bufferedCount ?? 0) == 0, state == .pending || state == .paused
        else { return }
        if state == .paused { pausedCount -= 1 }
        records[index].state = records[index].flags.contains(.lastFailed) ? .failed : .completed
        noteLocked(.completed, slot: slot, effects: &effects)
        retainFinishedLocked(slot, effects: &effects)
    }

    // MARK: - RunSink

    func runStarting(_ run: JobRun, at start: Double) {
        if let timeout = run.timeout {
            condition.lock()
            let deadline = start + timeout
            timeouts.insert(TimeoutEntry(deadline: deadline, run: run))
            wakeThreadLocked(for: deadline)
            condition.unlock()
        }
        if bus.isListening {
            bus.emit([
                SchedulerEvent(
                    kind: .started, jobID: run.jobID, jobName: run.name, dueDate: run.dueDate,
                    date: Date(timeIntervalSinceReferenceDate: start))
            ])
        }
    }

    func runsFinished(_ completed: inout [CompletedRun], recycling: inout [JobRun]) {
        var effects = Effects()
        condition.lock()
        if !recycling.isEmpty, runPool.count < Self.runPoolLimit {
            runPool.append(contentsOf: recycling.prefix(Self.runPoolLimit - runPool.count))
        }
        recycling.removeAll(keepingCapacity: true)
        for index in completed.indices { finishRunLocked(completed[index], effects: &effects) }
        wakeProgressWaitersLocked(&effects)
        checkInvariantsLocked()
        condition.unlock()
        perform(&effects)
        for index in completed.indices where isKnownUniquelyReferenced(&completed[index].run) {
            completed[index].run.clearForPool()
            recycling.append(completed[index].run)
        }
    }

    private func finishRunLocked(_ completed: borrowing CompletedRun, effects: inout Effects) {
        let run = completed.run
        let slot = run.slot
        let index = Int(slot)
        assert(activeRuns > 0, "a run finished with none in flight")
        guard index < records.count, records[index].id == run.jobID, records[index].state != .free else {
            activeRuns -= 1
            if let completion = run.completion {
                run.didStart = completed.started
                effects.completions.append((completion, completed.outcome))
            }
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
            recordOutcomeLocked(completed, slot: slot, effects: &effects)
        } else {
            withdrawnLocked(run, slot: slot, effects: &effects)
        }
        if let completion = run.completion {
            run.didStart = completed.started
            effects.completions.append((completion, completed.outcome))
        }
        let state = records[index].state
        if state == .pending || state == .paused, records[index].active == 0, let extras = records[index].extras,
            let buffered = extras.popBuffered()
        {
            if maxRunsReachedLocked(slot: slot) {
                extras.clearBuffer()
            } else {
                startRunLocked(
                    slot: slot, due: buffered.due, startAfter: buffered.due, payload: buffered.payload,
                    attempt: 1, completion: nil, effects: &effects)
            }
        }
        finishIfDoneLocked(slot: slot, effects: &effects)
        if records[index].flags.contains(.forgetWhenIdle), records[index].active == 0 {
            freeSlotLocked(slot, effects: &effects)
        }
    }

    /// Counts a run that started and records how it ended.
    private func recordOutcomeLocked(_ completed: borrowing CompletedRun, slot: UInt32, effects: inout Effects) {
        let run = completed.run
        let index = Int(slot)
        records[index].runs += 1
        totals.runs += 1
        records[index].lastStartOffset = Float(completed.start - records[index].lastDue)
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
        noteLocked(
            kind, slot: slot, due: run.dueDate.timeIntervalSinceReferenceDate, outcome: completed.outcome,
            duration: completed.end - completed.start, effects: &effects)
    }

    /// Reports a run cancelled before it started. It is no run: no counter changes, the last
    /// outcome stays, and it gives back its place under `maxRuns` (a job that `maxRuns`
    /// exhausted when the run fired is pending again, and continues with its trigger).
    private func withdrawnLocked(_ run: JobRun, slot: UInt32, effects: inout Effects) {
        let index = Int(slot)
        noteLocked(
            .runCancelled, slot: slot, due: run.dueDate.timeIntervalSinceReferenceDate, outcome: .cancelled,
            effects: &effects)
        guard records[index].flags.contains(.exhausted), let maxRuns = optionsTable[Int(records[index].optionsIndex)].maxRuns,
            records[index].fired < maxRuns, records[index].nextDue.isNaN
        else { return }
        let state = records[index].state
        guard state == .pending || state == .paused else { return }
        if records[index].trigger.isUntimed {
            records[index].flags.remove(.exhausted)
        } else if let next = records[index].trigger.nextDue(after: now) {
            records[index].flags.remove(.exhausted)
            queueNextLocked(slot: slot, next: next, effects: &effects)
        }
    }

    // MARK: - Timeouts

    private func expireTimeoutsLocked(now: Double, effects: inout Effects) {
        while let first = timeouts.first, first.deadline <= now {
            _ = timeouts.popFirst()
            effects.cancels.append((first.run, .timedOut))
        }
    }
}
