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
            timeline.reportsEvents = bus.isListening
            if !timeline.paused { timeline.fireDue(now: now, effects: &threadEffects.timeline) }
            // The thread is the one that would be woken: only subscriptions are left to make.
            threadEffects.timeline.wakeForDate = .infinity
            threadEffects.timeline.wakeForDueList = false
            publishReadingLocked()
            expireTimeoutsLocked(now: now, effects: &threadEffects)
            wakeProgressWaitersLocked(&threadEffects)
            if !threadEffects.isEmpty {
                var effects = threadEffects
                threadEffects = Effects()
                let pause = effects.timeline.runs.count >= Self.burstThreshold ? burstPauseLocked(now: now) : 0
                let pauseEnd: DispatchTime = pause < 86_400 ? .now() + pause : .distantFuture
                // Until its events are delivered, the pass is not over: a waiter for idleness
                // must not see the state it left before what it reported (`isIdleLocked`).
                let reporting =
                    !(effects.timeline.events.isEmpty && effects.timeline.changes.isEmpty
                    && effects.timeline.completions.isEmpty)
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
            var deadline = timeline.nextDueDate
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
        if let head = timeline.queue.min?.date { pause = min(pause, head - now) }
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
        lockForChange()
        let room = JobTimeline.runPoolLimit - timeline.runPool.count
        if !recycling.isEmpty, room > 0 { timeline.runPool.append(contentsOf: recycling.prefix(room)) }
        recycling.removeAll(keepingCapacity: true)
        for index in completed.indices { timeline.finishRun(completed[index], effects: &effects.timeline) }
        unlockAfterChange(&effects)
        perform(&effects)
        for index in completed.indices where isKnownUniquelyReferenced(&completed[index].run) {
            completed[index].run.clearForPool()
            recycling.append(completed[index].run)
        }
    }

    // MARK: - Timeouts

    private func expireTimeoutsLocked(now: Double, effects: inout Effects) {
        while let first = timeouts.first, first.deadline <= now {
            _ = timeouts.popFirst()
            effects.timeline.cancels.append((first.run, .timedOut))
        }
    }
}
