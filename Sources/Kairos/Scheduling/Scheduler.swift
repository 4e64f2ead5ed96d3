import Foundation

/// Runs jobs on time: the heart of Kairos.
///
/// ```swift
/// let scheduler = Scheduler()
/// let id = try scheduler.schedule(name: "heartbeat", trigger: try IntervalTrigger(every: .seconds(30))) { _ in
///     try await ping()
/// }
/// scheduler.start()
/// // ...
/// await scheduler.stop()
/// ```
///
/// **How it works.** Jobs wait in an indexed binary heap keyed by their next fire date. One
/// scheduler thread sleeps exactly until the earliest date (woken early when a change moves the
/// head of the queue; never polling), pops everything due in one pass under one lock, applies the
/// misfire and overlap policies, and hands the runs to a bounded executor (worker threads for
/// synchronous bodies, tasks for `async` ones). The thread never runs job bodies.
///
/// **Time.** Everything reads the configured ``SchedulerClock``; with a ``ManualClock`` a test
/// controls time completely. With the ``SystemClock``, waits use absolute wall-clock deadlines, so a
/// forward jump of the wall clock never makes the scheduler oversleep.
///
/// **Thread safety.** Every method may be called from any thread or task. Job bodies, event
/// handlers and observers never run under the scheduler's lock.
///
/// **Complexity.** `schedule`, `cancel`, `pause`, `resume` and `reschedule` are O(log n) in the
/// number of queued jobs; `job(_:)` is O(1); `jobs(status:)` is O(n).
public final class Scheduler: Sendable {
    let core: SchedulerCore

    /// The configuration the scheduler was created with.
    public var configuration: Configuration { core.configuration }

    /// Creates a scheduler. It fires nothing until ``start()``.
    public init(configuration: Configuration = Configuration()) {
        core = SchedulerCore(configuration: configuration)
    }

    deinit { core.shutdown() }

    // MARK: - Scheduling

    /// Adds a job whose synchronous body returns nothing.
    ///
    /// - Parameters:
    ///   - name: for snapshots, events and logs; need not be unique.
    ///   - trigger: when the job is due. A one-shot date in the past is due at once (and handled
    ///     as missed); other triggers start at their first date at or after now.
    ///   - options: limits, priority, policies, timeout.
    ///   - body: runs on a worker thread; check ``JobContext/isCancelled`` to stop early.
    /// - Returns: the new job's ID.
    /// - Throws: ``SchedulerError/invalidOption(option:reason:)`` if an option is out of range.
    /// - Complexity: O(log n).
    @discardableResult
    public func schedule(
        name: String = "", trigger: some Trigger, options: JobOptions = JobOptions(),
        _ body: @escaping @Sendable (JobContext) throws -> Void
    ) throws(SchedulerError) -> JobID {
        try core.schedule(id: nil, name: name, trigger: trigger, options: options, body: .syncVoid(body), restoring: nil)
    }

    /// Adds a job whose synchronous body returns a value, kept as the job's last result and
    /// returned by ``runNow(_:)``. Otherwise as the synchronous `schedule(name:trigger:options:_:)`
    /// whose body returns nothing.
    @discardableResult
    public func schedule<Result: Sendable>(
        name: String = "", trigger: some Trigger, options: JobOptions = JobOptions(),
        _ body: @escaping @Sendable (JobContext) throws -> Result
    ) throws(SchedulerError) -> JobID {
        try core.schedule(id: nil, name: name, trigger: trigger, options: options, body: .syncValue { try body($0) }, restoring: nil)
    }

    /// Adds a job whose `async` body returns nothing; it runs as a task and sees Swift task
    /// cancellation. See ``schedule(name:trigger:options:_:)-(_,_,_,(JobContext)->Void)``.
    @discardableResult
    public func schedule(
        name: String = "", trigger: some Trigger, options: JobOptions = JobOptions(),
        _ body: @escaping @Sendable (JobContext) async throws -> Void
    ) throws(SchedulerError) -> JobID {
        try core.schedule(id: nil, name: name, trigger: trigger, options: options, body: .asyncVoid(body), restoring: nil)
    }

    /// Adds a job whose `async` body returns a value. Otherwise as the synchronous
    /// `schedule(name:trigger:options:_:)` whose body returns nothing.
    @discardableResult
    public func schedule<Result: Sendable>(
        name: String = "", trigger: some Trigger, options: JobOptions = JobOptions(),
        _ body: @escaping @Sendable (JobContext) async throws -> Result
    ) throws(SchedulerError) -> JobID {
        try core.schedule(id: nil, name: name, trigger: trigger, options: options, body: .asyncValue { try await body($0) }, restoring: nil)
    }

    /// Adds a job with a caller-chosen ID and, optionally, restored state (the layer
    /// `PersistentScheduler` builds on).
    ///
    /// The body returns a value (use `()` for none). With `restoring`, the job continues from the
    /// given counters and due dates: due dates that passed while the process was down go through
    /// the misfire policy when the scheduler runs.
    ///
    /// - Throws: ``SchedulerError/duplicateJobID(_:)`` if a job with `id` exists.
    @discardableResult
    package func schedule(
        id: JobID, name: String, trigger: some Trigger, options: JobOptions = JobOptions(),
        restoring: RestoredJobState? = nil,
        _ body: @escaping @Sendable (JobContext) async throws -> any Sendable
    ) throws(SchedulerError) -> JobID {
        try core.schedule(id: id, name: name, trigger: trigger, options: options, body: .asyncValue(body), restoring: restoring)
    }

    /// Adds a job with a caller-chosen ID and a synchronous body; see the `async` variant.
    @discardableResult
    package func schedule(
        id: JobID, name: String, trigger: some Trigger, options: JobOptions = JobOptions(),
        restoring: RestoredJobState? = nil,
        synchronous body: @escaping @Sendable (JobContext) throws -> any Sendable
    ) throws(SchedulerError) -> JobID {
        try core.schedule(id: id, name: name, trigger: trigger, options: options, body: .syncValue(body), restoring: restoring)
    }

    // MARK: - Changing jobs

    /// Cancels a job: it never fires again, and its running runs are cancelled (task cancellation
    /// for `async` bodies, ``JobContext/isCancelled`` for all). Its runs still waiting for
    /// executor capacity are withdrawn: they never start and count as no run. Buffered fires are
    /// discarded.
    ///
    /// - Returns: `true` if the job was cancelled now; `false` if it is unknown or finished.
    /// - Complexity: O(log n).
    @discardableResult
    public func cancel(_ id: JobID) -> Bool { core.cancel(id) }

    /// Pauses a job: it does not fire until ``resume(_:catchingUp:)``. A running run continues.
    /// Pausing a paused or finished job does nothing.
    ///
    /// - Throws: ``SchedulerError/jobNotFound(_:)``, ``SchedulerError/jobCancelled(_:)``.
    public func pause(_ id: JobID) throws(SchedulerError) { try core.pause(id) }

    /// Resumes a paused job.
    ///
    /// - Parameters:
    ///   - id: the job.
    ///   - catchingUp: `true` (the default) hands the due dates that passed while paused to the
    ///     job's misfire policy; `false` skips them (uncounted) and continues with the first due
    ///     date at or after now.
    /// - Throws: ``SchedulerError/jobNotFound(_:)``, ``SchedulerError/jobCancelled(_:)``.
    public func resume(_ id: JobID, catchingUp: Bool = true) throws(SchedulerError) {
        try core.resume(id, catchingUp: catchingUp)
    }

    /// Replaces a job's trigger; the job continues with the new trigger's first date at or after
    /// now. A completed or failed job becomes pending again (unless `maxRuns` is reached). Runs
    /// in progress are not affected; counters are kept.
    ///
    /// - Throws: ``SchedulerError/jobNotFound(_:)``, ``SchedulerError/jobCancelled(_:)``.
    /// - Complexity: O(log n).
    public func reschedule(_ id: JobID, trigger: any Trigger) throws(SchedulerError) {
        try core.reschedule(id, trigger: trigger)
    }

    /// Runs a job now, outside its schedule, and returns what the body returned.
    ///
    /// The run ignores pauses and the overlap policy (it is explicit), counts towards `maxRuns`
    /// and the counters, and waits for executor capacity like any run. It works whether or not
    /// the scheduler is started. Its due date is now.
    ///
    /// **From inside a job.** Called from an `async` job body (of any scheduler), or from a task
    /// that inherits its task-local values (`async let`, task groups, `Task { }`), the run does not
    /// wait for capacity: it starts at once, as a task, and is not held to
    /// ``Configuration/maxConcurrentJobs`` (``SchedulerStats/executingRuns`` may exceed it). The
    /// caller keeps its own place while it waits, so a chain of jobs each awaiting the next job's
    /// `runNow` never runs out of capacity, however deep it is.
    ///
    /// **Cancellation.** If the calling task is cancelled before the run starts, the run is
    /// withdrawn: it never starts, counts as no run, and this method throws `CancellationError`.
    /// If the run has started, it is cancelled as ``cancel(_:)`` cancels runs, this method waits
    /// for it to end and reports how it ended: ``SchedulerError/runCancelled(_:)`` if it ended by
    /// cancellation, its value or error if it finished anyway.
    ///
    /// ```swift
    /// let report = try scheduler.schedule(name: "report", trigger: ManualTrigger()) { _ in try await Report.build() }
    /// let text = try await scheduler.runNow(report, as: String.self)
    /// ```
    ///
    /// - Returns: the body's value (`()` for bodies that return nothing).
    /// - Throws: `CancellationError` if the caller was cancelled before the run started; the
    ///   body's error; ``SchedulerError/runTimedOut(_:)``; ``SchedulerError/runCancelled(_:)``;
    ///   ``SchedulerError/jobNotFound(_:)``; ``SchedulerError/jobCancelled(_:)``;
    ///   ``SchedulerError/maxRunsReached(_:maxRuns:)`` if the job has fired all the runs its
    ///   `maxRuns` allows (nothing runs then).
    @discardableResult
    public func runNow(_ id: JobID) async throws -> any Sendable {
        try Task.checkCancellation()
        let (outcome, withdrawn) = try await awaitRunNow(id, attempt: 1)
        if withdrawn { throw CancellationError() }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw error
        case .timedOut: throw SchedulerError.runTimedOut(id)
        case .cancelled: throw SchedulerError.runCancelled(id)
        }
    }

    /// Runs a job now and returns its value as a `Value`: ``runNow(_:)`` for a job whose body
    /// returns a known type.
    ///
    /// ```swift
    /// let answer = try scheduler.schedule(trigger: ManualTrigger()) { _ in 42 }
    /// let value: Int = try await scheduler.runNow(answer, as: Int.self)
    /// ```
    ///
    /// Pass `Void.self` for a body that returns nothing.
    ///
    /// - Throws: what ``runNow(_:)`` throws, and
    ///   ``SchedulerError/resultTypeMismatch(_:expected:actual:)`` if the body returned another
    ///   type (the run happened and counts; it is checked once the body has returned).
    @discardableResult
    public func runNow<Value: Sendable>(_ id: JobID, as type: Value.Type) async throws -> Value {
        let value = try await runNow(id)
        guard let typed = value as? Value else {
            throw SchedulerError.resultTypeMismatch(
                id, expected: String(reflecting: Value.self),
                actual: String(reflecting: Swift.type(of: value)))
        }
        return typed
    }

    /// Runs a job now and returns how the run ended instead of throwing the body's error (the
    /// layer `DependencyScheduler` builds on). See ``runNow(_:)``; a run withdrawn because the
    /// caller was cancelled ends `.cancelled`.
    package func runNowOutcome(_ id: JobID, attempt: Int = 1) async throws(SchedulerError) -> RunOutcome {
        try await awaitRunNow(id, attempt: attempt).outcome
    }

    /// Fires a run and waits for it, honouring the calling task's cancellation (see
    /// ``runNow(_:)``); `withdrawn` says the run never started because the caller was cancelled.
    private func awaitRunNow(_ id: JobID, attempt: Int) async throws(SchedulerError) -> (outcome: RunOutcome, withdrawn: Bool) {
        let request = RunNowRequest()
        let outsideLimit = JobContext.isInsideRun
        let core = self.core
        let result: Result<RunOutcome, SchedulerError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                do throws(SchedulerError) {
                    let run = try core.runNow(id, attempt: attempt, outsideLimit: outsideLimit) { outcome in
                        continuation.resume(returning: .success(outcome))
                    }
                    if request.attach(run) { core.cancelRun(run) }
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        } onCancel: {
            if let run = request.cancel() { core.cancelRun(run) }
        }
        let outcome = try result.get()
        return (outcome, request.withdrawn)
    }

    /// Runs a job now without waiting; `completion` receives the outcome (on a worker thread or
    /// task, outside the scheduler's lock).
    package func runNow(_ id: JobID, attempt: Int = 1, completion: @escaping @Sendable (RunOutcome) -> Void) throws(SchedulerError) {
        try core.runNow(id, attempt: attempt, completion: completion)
    }

    // MARK: - Reading jobs

    /// A snapshot of a job, or `nil` if no job has this ID (finished jobs are kept up to
    /// ``Configuration/finishedJobRetention``). - Complexity: O(1).
    public func job(_ id: JobID) -> JobSnapshot? { core.snapshot(id) }

    /// Snapshots of all jobs, or of those with `status`, ordered by ID. - Complexity: O(n).
    public func jobs(status: JobStatus? = nil) -> [JobSnapshot] { core.snapshots(status: status) }

    /// The next `count` due dates of a job (nominal, before jitter), fewer if its trigger or
    /// `maxRuns` ends sooner; empty for a paused-at-exhaustion, finished, event or manual job.
    ///
    /// - Throws: ``SchedulerError/jobNotFound(_:)``.
    public func nextFireDates(of id: JobID, count: Int) throws(SchedulerError) -> [Date] {
        try core.nextFireDates(of: id, count: count)
    }

    /// Scheduler-wide counts and totals.
    public var stats: SchedulerStats { core.stats }

    // MARK: - Lifecycle

    /// Starts firing jobs (idempotent). Due dates that passed while the scheduler was not running
    /// go through each job's misfire policy; jobs with ``JobOptions/runOnStart`` run once now.
    public func start() { core.start() }

    /// Stops firing jobs and waits for the runs in progress to finish, up to `timeout` on the
    /// scheduler's clock; runs still going then are cancelled (cooperatively).
    ///
    /// Jobs are kept: a later ``start()`` continues, applying misfire policies to what was missed.
    ///
    /// - Returns: `true` if every run finished within the timeout.
    @discardableResult
    public func stop(timeout: Duration = .seconds(30)) async -> Bool {
        core.beginStop()
        let deadline = clock.now.date.addingTimeInterval(timeout.timeInterval)
        let core = self.core
        let clock = self.clock
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    if await core.waitForProgress(unless: { core.timeline.activeRuns == 0 }) { return true }
                }
                return false
            }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished { core.cancelAllActiveRuns() }
        return finished
    }

    /// Runs the scheduler as a service: starts it, suspends until the calling task is cancelled,
    /// then stops gracefully (``stop(timeout:)``), as swift-service-lifecycle services do.
    ///
    /// ```swift
    /// let service = Task { await scheduler.run() }
    /// // ...
    /// service.cancel()          // returns once running jobs finished (or the timeout expired)
    /// ```
    ///
    /// - Returns: whether every run finished within `stopTimeout`.
    @discardableResult
    public func run(stopTimeout: Duration = .seconds(30)) async -> Bool {
        start()
        let (cancelled, signal) = AsyncStream<Never>.makeStream()
        await withTaskCancellationHandler {
            for await _ in cancelled {}
        } onCancel: {
            signal.finish()
        }
        // Stop outside the cancelled task, so that its waits are not cut short.
        return await Task { await self.stop(timeout: stopTimeout) }.value
    }

    /// Whether the scheduler has been started and not stopped.
    public var isRunning: Bool {
        core.condition.lock()
        defer { core.condition.unlock() }
        return core.lifecycle.isRunning
    }

    /// Pauses the whole scheduler: nothing fires until ``resume()``; runs in progress continue.
    /// Due dates that pass meanwhile go through each job's misfire policy on resume.
    public func pause() { core.setPaused(true) }

    /// Resumes a scheduler paused with ``pause()``.
    public func resume() { core.setPaused(false) }

    /// Whether the whole scheduler is paused.
    public var isPaused: Bool {
        core.condition.lock()
        defer { core.condition.unlock() }
        return core.timeline.paused
    }

    // MARK: - Events

    /// A new stream of everything that happens from now on, for as long as it is iterated.
    ///
    /// Each access creates an independent stream; each buffers up to
    /// ``Configuration/eventBufferSize`` events for a slow consumer (older ones are dropped). No
    /// event is built while nobody listens, so an unused stream costs nothing. The streams finish
    /// when the scheduler is deallocated.
    public var events: AsyncStream<SchedulerEvent> { core.bus.makeStream(bufferSize: core.configuration.eventBufferSize) }

    /// Calls `handler` for every event, synchronously on the thread where it happens (a worker,
    /// the scheduler thread, or the caller of an API method), outside the scheduler's lock.
    /// The handler must be quick and must not block.
    ///
    /// - Returns: a token for ``removeEventHandler(_:)``.
    @discardableResult
    public func onEvent(_ handler: @escaping @Sendable (SchedulerEvent) -> Void) -> EventHandlerToken {
        EventHandlerToken(id: core.bus.addHandler(handler))
    }

    /// Removes an event handler.
    public func removeEventHandler(_ token: EventHandlerToken) { core.bus.removeHandler(token.id) }

    /// Sends a signal to the configured ``SignalHub``: every job with a ``SignalTrigger`` for `key`
    /// fires (subject to pauses and its overlap policy) with `payload` in its context, and every
    /// pipeline run waiting on `key` resumes.
    ///
    /// - Returns: what the signal reached (empty if nothing waits on `key`).
    @discardableResult
    public func send(signal key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        core.hub.send(key, payload: payload)
    }

    /// Installs the observer of every job state change (see ``JobStateChange``); replaces any
    /// previous one. The observer is called synchronously, outside the scheduler's lock.
    package func observeStateChanges(_ observer: (@Sendable (JobStateChange) -> Void)?) {
        core.condition.lock()
        core.timeline.observer = observer
        core.condition.unlock()
    }

    /// Suspends until no run is going and nothing is due at the clock's current time: for tests in
    /// virtual time, after moving a ``ManualClock`` with ``ManualClock/advance(by:)``, to let the
    /// scheduler catch up (``ManualClock/step(by:)`` waits this way at every due date by itself).
    ///
    /// A stopped or paused scheduler is idle once its runs have finished. Returns when the calling
    /// task is cancelled. A run that never returns (a body waiting on the same `ManualClock`, say)
    /// keeps the scheduler from being idle.
    public func waitUntilIdle() async { await core.waitUntilIdle() }

    /// Suspends until the job is finished (completed, failed or cancelled, or forgotten) and none
    /// of its runs is going.
    package func waitUntilFinished(_ id: JobID) async {
        while !Task.isCancelled {
            if await core.waitForProgress(unless: { core.isFinishedLocked(id) }) { return }
        }
    }

    var clock: any SchedulerClock { core.clock }
}

/// Identifies an event handler added with ``Scheduler/onEvent(_:)``.
public struct EventHandlerToken: Hashable, Sendable {
    let id: UInt64
}
