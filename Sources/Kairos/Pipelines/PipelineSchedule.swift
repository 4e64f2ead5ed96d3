import Foundation
import KairosPlatform

/// A pipeline started on a trigger's dates as a job of a ``Scheduler``: the handle returned by
/// ``JobPipeline/schedule(on:trigger:input:options:)``.
///
/// Each fire of the job starts one run of the pipeline and lasts until that run has ended, so the
/// scheduler's rules apply to pipeline runs exactly as to any job:
/// - the job's ``OverlapPolicy`` decides what a fire does while a run is still going; the default
///   for a pipeline is ``OverlapPolicy/skip`` (never two runs at once; the skipped fire dates are
///   counted in ``skippedFireDates``), whatever the scheduler's default;
/// - the job's ``MisfirePolicy`` decides which due dates that passed while the scheduler was
///   stopped or the schedule paused still start a run;
/// - `maxRuns`, `timeout`, `priority`, `runOnStart` and `startPaused` of ``JobOptions`` mean what
///   they mean for jobs. A timeout cancels the run.
///
/// A run that ends ``PipelineRunStatus/failed`` counts as a failure of the job and one that ends
/// ``PipelineRunStatus/cancelled`` as a cancelled run; neither stops the schedule.
///
/// All members are thread-safe.
public final class PipelineSchedule: Sendable {
    /// Where the schedule is in its life.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Waiting for the next due date.
        case scheduled
        /// A run is active.
        case running
        /// Paused: no run starts until ``PipelineSchedule/resume(catchingUp:)``.
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

    /// How many of the latest runs ``runs`` keeps.
    public static let retainedRuns = 1_000

    /// The pipeline's name, also the job's name.
    public let pipelineName: String
    /// The scheduler job that starts the runs.
    public let jobID: JobID
    private let scheduler: Scheduler
    private let log: PipelineScheduleLog

    init(pipelineName: String, jobID: JobID, scheduler: Scheduler, log: PipelineScheduleLog) {
        self.pipelineName = pipelineName
        self.jobID = jobID
        self.scheduler = scheduler
        self.log = log
    }

    // MARK: Reading

    /// The schedule's status.
    public var status: Status {
        guard let job = scheduler.job(jobID) else { return .completed }
        switch job.status.kind {
        case .pending: return job.isPaused ? .paused : .scheduled
        case .running: return .running
        case .paused: return .paused
        case .completed, .failed: return .completed
        case .cancelled: return .cancelled
        }
    }

    /// The date the next run is due, or `nil` when none will start (completed, cancelled, paused,
    /// or while a run is active).
    public var nextFireDate: Date? {
        status == .scheduled ? scheduler.job(jobID)?.nextFireDate : nil
    }

    /// The latest runs started (at most ``retainedRuns``), oldest first, the active one included.
    public var runs: [Run] { log.runs }

    /// The number of fire dates that started no run: skipped because a run was still going, or
    /// passed while paused or stopped and not caught up (the job's `overlapSkipped` and `missed`
    /// counters).
    public var skippedFireDates: Int {
        guard let counters = scheduler.job(jobID)?.counters else { return 0 }
        return counters.overlapSkipped + counters.missed
    }

    /// Waits until the schedule has completed or been cancelled and its last run has ended.
    public func waitUntilFinished() async {
        await scheduler.waitUntilFinished(jobID)
    }

    // MARK: Control

    /// Stops new runs from starting until ``resume(catchingUp:)``; an active run goes on. See
    /// ``Scheduler/pause(_:)``.
    public func pause() {
        try? scheduler.pause(jobID)
    }

    /// Lets runs start again. With `catchingUp` (the default) the due dates that passed while
    /// paused go to the job's misfire policy; without, they are skipped and the next run is due at
    /// the first fire date at or after now. See ``Scheduler/resume(_:catchingUp:)``.
    public func resume(catchingUp: Bool = true) {
        try? scheduler.resume(jobID, catchingUp: catchingUp)
    }

    /// Ends the schedule and cancels its active run (which ends ``PipelineRunStatus/cancelled``).
    public func cancel() {
        scheduler.cancel(jobID)
    }
}

/// The latest runs of one ``PipelineSchedule``, written by its job's body.
///
/// `@unchecked Sendable`: `runs` is guarded by its lock.
final class PipelineScheduleLog: @unchecked Sendable {
    private let state = LockedState<[PipelineSchedule.Run]>([])

    var runs: [PipelineSchedule.Run] { state.withLock { $0 } }

    func runStarted(_ run: PipelineSchedule.Run) {
        state.withLock { runs in
            runs.append(run)
            if runs.count > PipelineSchedule.retainedRuns { runs.removeFirst(runs.count - PipelineSchedule.retainedRuns) }
        }
    }

    func runEnded(_ id: PipelineRunID, at date: Date, status: PipelineRunStatus) {
        state.withLock { runs in
            guard let index = runs.lastIndex(where: { $0.runID == id }) else { return }
            runs[index].endedAt = date
            runs[index].status = status
        }
    }
}

/// The error a scheduled pipeline's job throws for a run that ended ``PipelineRunStatus/failed``,
/// so that the job's counters and events record the failure.
public struct PipelineRunFailed: Error, Sendable, CustomStringConvertible {
    /// The run that failed.
    public let runID: PipelineRunID
    /// The pipeline's name.
    public let pipelineName: String

    /// A description naming the pipeline and the run.
    public var description: String { "pipeline '\(pipelineName)' run \(runID) failed" }
}

extension JobPipeline {
    /// Starts runs of the pipeline with `input` on `trigger`'s fire dates, as a job of `scheduler`
    /// (see ``PipelineSchedule`` for the rules).
    ///
    /// The runs wait and sleep on the pipeline's ``clock``; give the pipeline the scheduler's clock
    /// (and its ``Scheduler/Configuration/signalHub`` for signal waits).
    ///
    /// ```swift
    /// let nightly = try pipeline.schedule(on: scheduler, trigger: try CronTrigger("0 2 * * *", timeZone: .gmt),
    ///                                     input: sources, options: JobOptions(misfire: .skip))
    /// ```
    ///
    /// - Parameters:
    ///   - scheduler: the scheduler whose job starts the runs.
    ///   - trigger: when runs are due, e.g. an ``IntervalTrigger`` or a ``CronTrigger``.
    ///   - input: the input of every run.
    ///   - options: the job's options; an `overlap` of `nil` means ``OverlapPolicy/skip``.
    /// - Throws: ``SchedulerError/invalidOption(option:reason:)`` for invalid options.
    public func schedule(
        on scheduler: Scheduler, trigger: some Trigger, input: Input,
        options: JobOptions = JobOptions()
    ) throws(SchedulerError) -> PipelineSchedule {
        var options = options
        if options.overlap == nil { options.overlap = .skip }
        let pipeline = self
        let clock = clock
        let log = PipelineScheduleLog()
        let pipelineName = name
        let jobID = try scheduler.schedule(name: name, trigger: trigger, options: options) { context in
            let run = pipeline.start(input)
            log.runStarted(
                PipelineSchedule.Run(
                    runID: run.id, dueDate: context.dueDate, startedAt: clock.now.date,
                    endedAt: nil, status: .running))
            let status = await withTaskCancellationHandler {
                await run.outcome
            } onCancel: {
                run.cancel()
            }
            log.runEnded(run.id, at: clock.now.date, status: status)
            switch status {
            case .failed: throw PipelineRunFailed(runID: run.id, pipelineName: pipelineName)
            case .cancelled: throw CancellationError()
            case .succeeded, .running, .waiting: return
            }
        }
        return PipelineSchedule(pipelineName: name, jobID: jobID, scheduler: scheduler, log: log)
    }
}

extension JobPipeline where Input == NoValue {
    /// Schedules a pipeline that takes no input (see ``schedule(on:trigger:input:options:)``).
    public func schedule(
        on scheduler: Scheduler, trigger: some Trigger,
        options: JobOptions = JobOptions()
    ) throws(SchedulerError) -> PipelineSchedule {
        try schedule(on: scheduler, trigger: trigger, input: NoValue(), options: options)
    }
}
