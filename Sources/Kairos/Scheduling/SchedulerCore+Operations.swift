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
        var record = JobRecord.free(generation: 0)
        let first = JobTimeline.prepare(
            &record, trigger: TriggerStorage(trigger, anchoredAt: now), body: body, options: options,
            explicitID: explicitID != nil, restoring: restoring, now: now)
        // The free record swapped out of the table is destroyed after the lock, with `record`.
        return try change { (timeline, effects) throws(SchedulerError) in
            try timeline.add(
                &record, name: name, explicitID: explicitID, options: options, first: first, reading: now,
                effects: &effects)
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

    // MARK: - Changing jobs

    func signalPosted(slot: UInt32, id: JobID, payload: JSONValue?) {
        change { timeline, effects in timeline.signalPosted(slot: slot, id: id, payload: payload, effects: &effects) }
    }

    func cancel(_ id: JobID) -> Bool {
        change { timeline, effects in timeline.cancel(id, effects: &effects) }
    }

    func pause(_ id: JobID) throws(SchedulerError) {
        try change { (timeline, effects) throws(SchedulerError) in try timeline.pause(id, effects: &effects) }
    }

    func resume(_ id: JobID, catchingUp: Bool) throws(SchedulerError) {
        try change { (timeline, effects) throws(SchedulerError) in
            try timeline.resume(id, catchingUp: catchingUp, effects: &effects)
        }
    }

    func reschedule(_ id: JobID, trigger: any Trigger) throws(SchedulerError) {
        try change { (timeline, effects) throws(SchedulerError) in
            try timeline.reschedule(id, trigger: trigger, effects: &effects)
        }
    }

    /// Fires a run of the job now. With `outsideLimit`, the run starts at once without waiting for
    /// an executor slot (a run requested from inside a running body, see ``Scheduler/runNow(_:)``).
    @discardableResult
    func runNow(
        _ id: JobID, attempt: Int = 1, outsideLimit: Bool = false,
        completion: @escaping @Sendable (RunOutcome) -> Void
    ) throws(SchedulerError) -> JobRun {
        let run = try change { (timeline, effects) throws(SchedulerError) -> JobRun in
            let run = try timeline.runNow(id, attempt: attempt, completion: completion, effects: &effects)
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
            lifecycle = .running(thread ?? .busy)
            timeline.start(effects: &effects.timeline)
            if thread == nil { startThreadLocked() }
            signalThreadLocked()
        }
    }

    func beginStop() {
        withLock { _ in
            guard case .running(let thread) = lifecycle else { return }
            lifecycle = .stopping(thread)
            timeline.isStarted = false
            signalThreadLocked()
        }
    }

    func setPaused(_ value: Bool) {
        withLock { _ in
            timeline.setPaused(value)
            signalThreadLocked()
        }
    }

    func cancelAllActiveRuns() {
        change { timeline, effects in timeline.cancelAllActiveRuns(effects: &effects) }
    }

    func shutdown() {
        let subscriptions = withLock { _ in
            lifecycle = lifecycle.thread.map(SchedulerLifecycle.stopping) ?? .stopped
            timeline.isStarted = false
            signalThreadLocked()
            return timeline.allSubscriptions
        }
        for subscription in subscriptions { hub.unsubscribe(subscription) }
        executor.shutdown()
        bus.finishStreams()
    }

    // MARK: - Reading

    func snapshot(_ id: JobID) -> JobSnapshot? {
        condition.lock()
        defer { condition.unlock() }
        return timeline.slot(of: id).map { timeline.snapshot($0) }
    }

    func snapshots(status: JobStatus?) -> [JobSnapshot] {
        condition.lock()
        defer { condition.unlock() }
        return timeline.snapshots(status: status)
    }

    func nextFireDates(of id: JobID, count: Int) throws(SchedulerError) -> [Date] {
        let (storage, next, remaining) = try withLock { (_: inout Effects) throws(SchedulerError) in
            let record = timeline.records[Int(try timeline.requireSlot(id))]
            let remaining = timeline.optionsTable[Int(record.optionsIndex)].maxRuns.map { $0 - record.fired } ?? .max
            return (record.trigger, record.nextDue.value, remaining)
        }
        var dates: [Date] = []
        var due = next
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

    /// Whether the job is finished (or unknown) and none of its runs is going.
    func isFinishedLocked(_ id: JobID) -> Bool { timeline.isFinished(id) }

    /// Whether no run is going and nothing is due at the clock's current time.
    func isIdleLocked() -> Bool {
        guard timeline.activeRuns == 0 else { return false }
        if case .delivering(reporting: true, _)? = lifecycle.thread { return false }
        guard lifecycle.isRunning, !timeline.paused else { return true }
        let now = self.now
        if timeline.hasDueJobs(at: now) { return false }
        if let first = timeouts.first, first.deadline <= now { return false }
        return true
    }
}
