import Foundation
import KairosPlatform

/// A pipeline started on a trigger's dates, never overlapping itself: the handle returned by
/// ``JobPipeline/schedule(_:input:maxRuns:)``.
///
/// Semantics:
/// - The first run is due at the trigger's first fire date at or after the time of the `schedule`
///   call (an ``IntervalTrigger`` without a start is anchored then, so its first run is one
///   interval later; a ``OnceTrigger`` date that has passed is due at once), as for scheduler jobs.
/// - A run starts at its due date. While it is active no other run starts: fire dates that pass
///   while it runs are skipped (counted in ``skippedFireDates``), and the next run is due at the
///   first fire date after the previous due date that is not earlier than the moment the previous
///   run ended (it starts at once if a fire date coincides with the end).
/// - ``pause()`` stops new runs from starting (an active run goes on); fire dates that pass while
///   paused are skipped and counted; after ``resume()`` the next run is due at the first fire date
///   not earlier than the resume time.
/// - ``cancel()`` ends the schedule and cancels the active run.
/// - The schedule completes when the trigger is exhausted or `maxRuns` runs have started and the
///   last has ended.
///
/// All waiting is on the pipeline's clock; nothing polls. All members are thread-safe.
public final class PipelineSchedule: Sendable {
    /// Where the schedule is in its life.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Waiting for the next due date.
        case scheduled
        /// A run is active.
        case running
        /// Paused: no run starts until ``PipelineSchedule/resume()``.
        case paused
        /// The trigger is exhausted or `maxRuns` runs happened.
        case completed
        /// Cancelled.
        case cancelled
    }

    /// One run started by the schedule.
    public struct Run: Sendable, Hashable {
        /// The run's identity.
        public let runID: PipelineRunID
        /// The fire date it was started for.
        public let dueDate: Date
        /// When it started, on the clock.
        public let startedAt: Date
        /// When it ended, on the clock; `nil` while active.
        public var endedAt: Date?
        /// Its status (final once `endedAt` is set).
        public var status: PipelineRunStatus
    }

    /// How the schedule starts a run and learns its end, independently of the pipeline's types.
    struct Launcher: Sendable {
        let start: @Sendable () -> (id: PipelineRunID, cancel: @Sendable () -> Void, outcome: @Sendable () async -> PipelineRunStatus)
    }

    private struct State {
        var status: Status = .scheduled
        var paused = false
        var pausedAt: Date?
        var resumedAt: Date?
        var cancelled = false
        var nextFireDate: Date?
        var skipped = 0
        var runs: [Run] = []
        var resumeContinuation: CheckedContinuation<Void, any Error>?
        var task: Task<Void, Never>?
    }

    /// The pipeline's name.
    public let pipelineName: String
    private let trigger: any Trigger
    private let maxRuns: Int?
    private let clock: any SchedulerClock
    private let launcher: Launcher
    private let state = LockedState(State())

    init(pipelineName: String, trigger: any Trigger, maxRuns: Int?, clock: any SchedulerClock, launcher: Launcher) {
        self.pipelineName = pipelineName
        self.trigger = trigger
        self.maxRuns = maxRuns
        self.clock = clock
        self.launcher = launcher
    }

    func activate() {
        let start = clock.now
        let task = Task { await self.loop(after: start) }
        state.withLock { $0.task = task }
    }

    // MARK: Reading

    /// The schedule's status.
    public var status: Status {
        state.withLock { state in
            if state.paused, state.status == .scheduled { return .paused }
            return state.status
        }
    }

    /// The date the next run is due, or `nil` when none will start (completed, cancelled, or while a
    /// run is active).
    public var nextFireDate: Date? { state.withLock { $0.status == .scheduled ? $0.nextFireDate : nil } }

    /// The runs started so far, oldest first, the active one included.
    public var runs: [Run] { state.withLock { $0.runs } }

    /// The number of fire dates skipped because a run was active or the schedule was paused.
    public var skippedFireDates: Int { state.withLock { $0.skipped } }

    /// Waits until the schedule has completed or been cancelled and its last run has ended.
    public func waitUntilFinished() async {
        let task = state.withLock { $0.task }
        await task?.value
    }

    // MARK: Control

    /// Stops new runs from starting until ``resume()``; an active run goes on.
    public func pause() {
        let now = clock.now
        state.withLock { state in
            guard !state.paused else { return }
            state.paused = true
            state.pausedAt = now
        }
    }

    /// Lets runs start again; the next is due at the first fire date not earlier than now.
    public func resume() {
        let now = clock.now
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.paused else { return nil }
            state.paused = false
            state.resumedAt = now
            defer { state.resumeContinuation = nil }
            return state.resumeContinuation
        }
        continuation?.resume()
    }

    /// Ends the schedule and cancels its active run (which ends as cancelled).
    public func cancel() {
        let (task, continuation) = state.withLock { state in
            state.cancelled = true
            if !(state.status == .completed) { state.status = .cancelled }
            defer { state.resumeContinuation = nil }
            return (state.task, state.resumeContinuation)
        }
        continuation?.resume(throwing: CancellationError())
        task?.cancel()
    }

    // MARK: The loop

    private func loop(after start: Date) async {
        // The first run is due at the trigger's first date at or after `start`, as for scheduler
        // jobs; a one-shot date that has passed is due at once.
        var notBefore = start
        if let once = trigger as? OnceTrigger, once.date < start { notBefore = once.date }
        var reference = Date(timeIntervalSinceReferenceDate: notBefore.timeIntervalSinceReferenceDate.nextDown)
        var started = 0
        while !Task.isCancelled {
            if let maxRuns, started >= maxRuns { break }
            guard let due = nextFireDate(after: reference, notBefore: notBefore) else { break }
            state.withLock { $0.nextFireDate = due }
            do {
                try await clock.sleep(until: due)
                try await waitForResume()
                // Skip a due date the schedule was paused at, even if it was resumed before this
                // task got to look.
                let (pausedAt, resumedAt) = state.withLock { ($0.pausedAt, $0.resumedAt) }
                if let pausedAt, let resumedAt, pausedAt <= due, resumedAt > due {
                    state.withLock { $0.skipped += 1 }
                    reference = due
                    notBefore = resumedAt
                    continue
                }
            } catch {
                break
            }
            let run = launcher.start()
            let startedAt = clock.now
            let proceed = state.withLock { state -> Bool in
                guard !state.cancelled else { return false }
                state.status = .running
                state.runs.append(Run(runID: run.id, dueDate: due, startedAt: startedAt, endedAt: nil, status: .running))
                return true
            }
            if !proceed { run.cancel() }
            let outcome = await withTaskCancellationHandler {
                await run.outcome()
            } onCancel: {
                run.cancel()
            }
            let endedAt = clock.now
            started += 1
            state.withLock { state in
                if let index = state.runs.lastIndex(where: { $0.runID == run.id }) {
                    state.runs[index].endedAt = endedAt
                    state.runs[index].status = outcome
                }
                if state.status == .running { state.status = .scheduled }
            }
            reference = due
            notBefore = endedAt
        }
        state.withLock { state in
            state.nextFireDate = nil
            if state.status != .cancelled { state.status = state.cancelled ? .cancelled : .completed }
        }
    }

    /// The first fire date after `reference` that is not earlier than `notBefore`; counts the ones
    /// it passes over as skipped.
    private func nextFireDate(after reference: Date, notBefore: Date) -> Date? {
        var candidate = trigger.nextFireDate(after: reference)
        var skipped = 0
        while let date = candidate, date < notBefore {
            skipped += 1
            candidate = trigger.nextFireDate(after: date)
        }
        if skipped > 0 { state.withLock { $0.skipped += skipped } }
        return candidate
    }

    private func waitForResume() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Next { case wait, go, stop }
                let next = state.withLock { state -> Next in
                    if state.cancelled { return .stop }
                    if !state.paused { return .go }
                    state.resumeContinuation = continuation
                    state.status = .scheduled
                    return .wait
                }
                switch next {
                case .wait: break
                case .go: continuation.resume()
                case .stop: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                defer { state.resumeContinuation = nil }
                return state.resumeContinuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

extension JobPipeline {
    /// Starts runs of the pipeline with `input` on `trigger`'s fire dates, never two at once (see
    /// ``PipelineSchedule`` for the exact rules).
    ///
    /// - Parameters:
    ///   - trigger: when runs are due, e.g. an ``IntervalTrigger`` (`every:startingAt:repeatCount:`)
    ///     or a ``CronTrigger``; its first fire date at or after now is the first run.
    ///   - maxRuns: stop after this many runs; `nil` for no limit (the trigger decides), `0` or
    ///     less for none.
    public func schedule(_ trigger: any Trigger, input: Input, maxRuns: Int? = nil) -> PipelineSchedule {
        let pipeline = self
        let schedule = PipelineSchedule(
            pipelineName: name, trigger: SchedulerCore.anchor(trigger, at: clock.now), maxRuns: maxRuns, clock: clock,
            launcher: PipelineSchedule.Launcher {
                let run = pipeline.start(input)
                return (run.id, { run.cancel() }, { await run.outcome })
            }
        )
        schedule.activate()
        return schedule
    }
}

extension JobPipeline where Input == NoValue {
    /// Schedules a pipeline that takes no input (see ``schedule(_:input:maxRuns:)``).
    public func schedule(_ trigger: any Trigger, maxRuns: Int? = nil) -> PipelineSchedule {
        schedule(trigger, input: NoValue(), maxRuns: maxRuns)
    }
}
