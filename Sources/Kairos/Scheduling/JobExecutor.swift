import Foundation

/// Receives what the executor does with runs; implemented by the scheduler core.
protocol RunSink: AnyObject, Sendable {
    /// A run is about to execute (at `start`, on the scheduler's clock).
    func runStarting(_ run: JobRun, at start: Double)
    /// Runs finished; called in batches by worker threads, singly by async tasks.
    ///
    /// `recycling` carries finished runs from one call to the next, so that recycling costs no
    /// time under the sink's lock: the sink takes the runs it holds into its pool, and puts back
    /// in it the runs of `completed` that nothing else references, cleared, after its lock.
    func runsFinished(_ completed: inout [CompletedRun], recycling: inout [JobRun])
}

/// The bounded, OperationQueue-style executor: a ready queue ordered by start date then
/// priority, at most `limit` runs executing at once, synchronous bodies on a small pool of worker
/// threads (created on demand, at most `limit`), async bodies as tasks.
///
/// Submitting never blocks: it enqueues and wakes a worker. When the backlog is long compared
/// with the number of workers, a worker takes several synchronous runs at once and reports them
/// in one batch, which keeps the scheduler's lock out of the per-run path. How many it takes
/// follows how fast its runs have been: about what fits in ``batchBudget``, so quick bodies go
/// by the thousand and slow ones one at a time; a batch that overruns the budget gives its
/// unstarted runs back to the queue for any worker to take.
///
/// `@unchecked Sendable`: every mutable property is guarded by `condition`; `sink` is written
/// under it too and read by workers holding it or after a lock/unlock pair.
final class JobExecutor: @unchecked Sendable {
    private let condition = NSCondition()
    @exclusivity(unchecked) private var ready = RunQueue()
    @exclusivity(unchecked) private var executing = 0
    @exclusivity(unchecked) private var threads = 0
    @exclusivity(unchecked) private var idle = 0
    /// Idle workers signalled and not yet awake: no second signal is sent for the same work.
    @exclusivity(unchecked) private var wakeups = 0
    @exclusivity(unchecked) private var shuttingDown = false
    private let limit: Int
    private let clock: any SchedulerClock
    @exclusivity(unchecked) private var sink: (any RunSink)?

    /// The most synchronous runs a worker takes in one go.
    private static let maxBatch = 1024
    /// How long a worker's batch should take, in seconds (see the type's description).
    private static let batchBudget = 0.000_2
    /// The clock's readings are real seconds, so they can time batches (a virtual clock's
    /// cannot; batches are then timed with the monotonic clock).
    private let clockIsReal: Bool

    init(limit: Int, clock: any SchedulerClock) {
        self.limit = limit
        self.clock = clock
        self.clockIsReal = clock is SystemClock
    }

    func attach(_ sink: any RunSink) {
        condition.lock()
        self.sink = sink
        condition.unlock()
    }

    /// Runs waiting for a slot, and runs executing.
    var counts: (ready: Int, executing: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (ready.count, executing)
    }

    /// Enqueues runs and starts what the limit allows; `runs` is emptied.
    ///
    /// A run cancelled before it got here (a stop or a cancel between its firing and this call)
    /// is not queued: it is reported at once as not started, as ``cancel(_:reason:)`` reports a
    /// run it withdraws, so that it never waits for a slot it will not use.
    func submit(_ runs: inout [JobRun]) {
        var launch: [JobRun] = []
        var withdrawn: [JobRun] = []
        condition.lock()
        for run in runs {
            if run.isCancelled { withdrawn.append(run) } else { ready.push(run) }
        }
        // Emptied before a worker can take them, so that a finished run is referenced only by
        // its report and can go back to the pool.
        runs.removeAll(keepingCapacity: true)
        dispatchLocked(into: &launch)
        let sink = withdrawn.isEmpty ? nil : self.sink
        condition.unlock()
        for run in launch { launchAsync(run) }
        if !withdrawn.isEmpty { reportUnstarted(withdrawn, to: sink) }
    }

    /// Asks the workers to exit once the ready queue is empty, and drops the sink when the last
    /// one is gone.
    func shutdown() {
        condition.lock()
        shuttingDown = true
        if threads == 0 && executing == 0 { sink = nil }
        condition.broadcast()
        condition.unlock()
    }

    /// Starts async runs at the head of the queue and wakes (or creates) a worker for a
    /// synchronous one. Caller holds `condition`.
    private func dispatchLocked(into launch: inout [JobRun]) {
        takeAsyncHeadsLocked(into: &launch)
        guard executing < limit, let head = ready.first, !head.body.isAsync else { return }
        if idle > wakeups {
            wakeups += 1
            condition.signal()
        } else if idle == 0, threads < limit {
            threads += 1
            let thread = Thread { [self] in workerMain() }
            thread.name = "Kairos worker"
            thread.start()
        }
    }

    /// Takes the async runs at the head of the queue that the limit allows. Caller holds
    /// `condition`.
    private func takeAsyncHeadsLocked(into launch: inout [JobRun]) {
        while executing < limit, let head = ready.first, head.body.isAsync {
            _ = ready.popFirst()
            executing += 1
            launch.append(head)
        }
    }

    private func workerMain() {
        var batch: [JobRun] = []
        var results: [CompletedRun] = []
        var launch: [JobRun] = []
        var recycling: [JobRun] = []
        var unstarted: [JobRun] = []
        // Runs to take at once: about what this worker executed within the budget last time.
        var take = 1
        condition.lock()
        work: while true {
            while !(executing < limit && ready.first.map({ !$0.body.isAsync }) == true) {
                if shuttingDown && ready.isEmpty { break work }
                idle += 1
                condition.wait()
                idle -= 1
                if wakeups > 0 { wakeups -= 1 }
            }
            executing += 1
            batch.append(ready.popFirst()!)
            // With a backlog (more waiting than twice the workers), take a worker's share of it
            // in one go: fewer lock round trips and clock readings per run.
            let share = ready.count >= 2 * threads ? ready.count / threads : 0
            while batch.count < take, batch.count <= share, let next = ready.first, !next.body.isAsync {
                batch.append(ready.popFirst()!)
            }
            dispatchLocked(into: &launch)
            let sink = self.sink
            condition.unlock()
            for run in launch { launchAsync(run) }
            launch.removeAll(keepingCapacity: true)
            // One clock reading per run: a run starts when the one before it in the batch ended.
            var start = clock.now.date.timeIntervalSinceReferenceDate
            let batchStart = clockIsReal ? start : Self.monotonicSeconds()
            var elapsed = 0.0
            for run in batch {
                let completed = execute(run, sink: sink, start: start)
                results.append(completed)
                start = completed.end
                elapsed = (clockIsReal ? start : Self.monotonicSeconds()) - batchStart
                if elapsed > Self.batchBudget { break }
            }
            let executed = results.count
            take = elapsed > 0 ? max(1, Int(min(Double(Self.maxBatch), Double(executed) * Self.batchBudget / elapsed))) : Self.maxBatch
            unstarted.append(contentsOf: batch[executed...])
            // Emptied before reporting, so that the sink finds the finished runs unreferenced.
            batch.removeAll(keepingCapacity: true)
            sink?.runsFinished(&results, recycling: &recycling)
            results.removeAll(keepingCapacity: true)
            condition.lock()
            pushLocked(&unstarted)
            executing -= 1
            takeAsyncHeadsLocked(into: &launch)
            if !launch.isEmpty {
                condition.unlock()
                for run in launch { launchAsync(run) }
                launch.removeAll(keepingCapacity: true)
                condition.lock()
            }
        }
        threads -= 1
        if threads == 0 && executing == 0 { sink = nil }
        condition.unlock()
    }

    private func pushLocked(_ runs: inout [JobRun]) {
        for run in runs { ready.push(run) }
        runs.removeAll(keepingCapacity: true)
    }

    private static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }

    private func execute(_ run: JobRun, sink: (any RunSink)?, start: Double) -> CompletedRun {
        if run.isCancelled {
            return CompletedRun(run: run, outcome: run.isTimedOut ? .timedOut : .cancelled, start: start, end: start, started: false)
        }
        sink?.runStarting(run, at: start)
        let outcome: RunOutcome
        do {
            outcome = .success(try run.body.invokeSync(JobContext(run: run)))
        } catch {
            outcome = Self.outcome(of: error, run: run)
        }
        let end = clock.now.date.timeIntervalSinceReferenceDate
        return CompletedRun(run: run, outcome: run.isTimedOut ? .timedOut : outcome, start: start, end: end)
    }

    private func launchAsync(_ run: JobRun) {
        let task = Task { [self] in
            let sink = currentSink()
            let start = clock.now.date.timeIntervalSinceReferenceDate
            var outcome: RunOutcome = run.isTimedOut ? .timedOut : .cancelled
            var end = start
            let started = !run.isCancelled
            if started {
                sink?.runStarting(run, at: start)
                do {
                    let body = run.body
                    let value = try await JobContext.$isInsideRun.withValue(true) { try await body.invoke(JobContext(run: run)) }
                    outcome = .success(value)
                } catch {
                    outcome = Self.outcome(of: error, run: run)
                }
                end = clock.now.date.timeIntervalSinceReferenceDate
                if run.isTimedOut { outcome = .timedOut }
            }
            var completed = [CompletedRun(run: run, outcome: outcome, start: start, end: end, started: started)]
            var recycling: [JobRun] = []
            sink?.runsFinished(&completed, recycling: &recycling)
            asyncRunEnded()
        }
        condition.lock()
        run.task = task
        condition.unlock()
        if run.isCancelled { task.cancel() }
    }

    /// Cancels a run: marks it, and cancels its task if it has one (async runs). A run still
    /// waiting for a slot is withdrawn: it never starts, and is reported to the sink at once as
    /// not started, so that nobody waits for a slot to learn that it ended.
    func cancel(_ run: JobRun, reason: JobRun.Cancellation) {
        guard run.markCancelled(reason) else { return }
        var launch: [JobRun] = []
        condition.lock()
        let task = run.task
        let withdrawn = ready.withdraw(run)
        // The withdrawn run may have been the head a worker was woken for: what is the head now
        // (an async run, which workers do not take) must be started too.
        if withdrawn { dispatchLocked(into: &launch) }
        let sink = self.sink
        condition.unlock()
        for next in launch { launchAsync(next) }
        task?.cancel()
        if withdrawn { reportUnstarted([run], to: sink) }
    }

    /// Reports runs that were cancelled before they started: they end now, never started.
    private func reportUnstarted(_ runs: [JobRun], to sink: (any RunSink)?) {
        let now = clock.now.date.timeIntervalSinceReferenceDate
        var completed = runs.map { run in
            CompletedRun(run: run, outcome: run.isTimedOut ? .timedOut : .cancelled, start: now, end: now, started: false)
        }
        var recycling: [JobRun] = []
        sink?.runsFinished(&completed, recycling: &recycling)
    }

    /// Starts a run at once, whatever the limit: a run requested from inside a running job body,
    /// whose caller waits for it (see ``Scheduler/runNow(_:)``). It runs as a task, synchronous
    /// body or not, and counts as executing while it runs.
    func startOutsideLimit(_ run: JobRun) {
        condition.lock()
        executing += 1
        condition.unlock()
        launchAsync(run)
    }

    private func currentSink() -> (any RunSink)? {
        condition.lock()
        defer { condition.unlock() }
        return sink
    }

    private func asyncRunEnded() {
        var launch: [JobRun] = []
        condition.lock()
        executing -= 1
        dispatchLocked(into: &launch)
        if threads == 0 && executing == 0 && shuttingDown && ready.isEmpty { sink = nil }
        condition.unlock()
        for run in launch { launchAsync(run) }
    }

    private static func outcome(of error: any Error, run: JobRun) -> RunOutcome {
        if run.isTimedOut { return .timedOut }
        if error is CancellationError, run.isCancelled { return .cancelled }
        return .failure(error)
    }
}
