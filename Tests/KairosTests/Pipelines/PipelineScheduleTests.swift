import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

/// Scheduled pipelines are jobs of a scheduler: its triggers, overlap and misfire policies,
/// `maxRuns`, pause, resume and cancel apply to them.
@Suite(.timeLimit(.minutes(1))) struct PipelineScheduleTests {
    private func at(_ seconds: TimeInterval) -> Date { pipelineEpoch.addingTimeInterval(seconds) }

    private func makeScheduler(_ clock: ManualClock) -> Scheduler {
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 4, clock: clock))
        scheduler.start()
        return scheduler
    }

    /// Advances the clock to `date` and waits until the scheduler has handled every fire date up to
    /// it and a started run, if any, has reached a sleep on the clock (or ended).
    private func advance(
        _ clock: ManualClock, to date: Date, _ scheduler: Scheduler, _ schedule: PipelineSchedule,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        clock.advance(to: date)
        await eventually("the scheduler to settle at \(date)", sourceLocation: sourceLocation) {
            guard let job = scheduler.job(schedule.jobID) else { return true }
            let handled = job.isPaused || job.nextFireDate.map { $0 > date } ?? true
            let runSettled = job.activeRuns == 0 || clock.sleepingTaskCount >= 1
            return handled && runSettled
        }
    }

    @Test func aScheduledPipelineNeverOverlapsAndSkipsFireDatesPassedWhileRunning() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let gauge = Gauge()
        let pipeline = JobPipeline(name: "every-10s", clock: clock)
            .step("takes-25s") { _, context in
                gauge.enter()
                defer { gauge.leave() }
                try await context.sleep(for: .seconds(25))
            }
        let schedule = try pipeline.schedule(
            on: scheduler, trigger: EveryTrigger(start: at(10), interval: 10),
            options: JobOptions(maxRuns: 3))
        for time in [10.0, 20, 30, 35, 40, 50, 60, 65, 70, 80, 90, 95] {
            await advance(clock, to: at(time), scheduler, schedule)
        }
        await schedule.waitUntilFinished()
        let runs = schedule.runs
        #expect(runs.map(\.dueDate) == [at(10), at(40), at(70)])
        #expect(runs.map(\.startedAt) == [at(10), at(40), at(70)])
        #expect(runs.map(\.endedAt) == [at(35), at(65), at(95)])
        #expect(runs.allSatisfy { $0.status == .succeeded })
        #expect(gauge.peak == 1)
        #expect(schedule.skippedFireDates == 4)  // 20, 30, 50, 60
        #expect(scheduler.job(schedule.jobID)?.counters.overlapSkipped == 4)
        #expect(schedule.status == .completed)
    }

    @Test func aRunThatEndedBeforeTheNextFireDateDoesNotHoldItBack() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "quick", clock: clock)
            .step("takes-9s") { _, context in try await context.sleep(for: .seconds(9)) }
        let schedule = try pipeline.schedule(
            on: scheduler, trigger: EveryTrigger(start: at(10), interval: 10),
            options: JobOptions(maxRuns: 2))
        for time in [10.0, 19, 20, 29] {
            await advance(clock, to: at(time), scheduler, schedule)
        }
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.startedAt) == [at(10), at(20)])
        #expect(schedule.runs.map(\.endedAt) == [at(19), at(29)])
        #expect(schedule.skippedFireDates == 0)
    }

    @Test func fireDatesPassedWhilePausedGoToTheMisfirePolicy() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "pausable", clock: clock).step("quick") { _, _ in }
        let skipping = try pipeline.schedule(
            on: scheduler, trigger: EveryTrigger(start: at(10), interval: 10),
            options: JobOptions(maxRuns: 1, misfire: .skip))
        let catchingUp = try pipeline.schedule(
            on: scheduler, trigger: EveryTrigger(start: at(10), interval: 10),
            options: JobOptions(maxRuns: 1, misfire: .runLatest))
        skipping.pause()
        catchingUp.pause()
        #expect(skipping.status == .paused && catchingUp.status == .paused)
        await advance(clock, to: at(25), scheduler, skipping)
        skipping.resume()
        catchingUp.resume()
        await catchingUp.waitUntilFinished()
        #expect(catchingUp.runs.map(\.dueDate) == [at(20)])  // the latest missed date, at once
        #expect(catchingUp.skippedFireDates == 1)  // 10
        await advance(clock, to: at(30), scheduler, skipping)
        await skipping.waitUntilFinished()
        #expect(skipping.runs.map(\.dueDate) == [at(30)])
        #expect(skipping.skippedFireDates == 2)  // 10 and 20
    }

    @Test func resumingWithoutCatchingUpContinuesAtTheNextFireDate() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "pausable", clock: clock).step("quick") { _, _ in }
        let schedule = try pipeline.schedule(
            on: scheduler, trigger: EveryTrigger(start: at(10), interval: 10),
            options: JobOptions(maxRuns: 1))
        schedule.pause()
        await advance(clock, to: at(25), scheduler, schedule)
        schedule.resume(catchingUp: false)
        #expect(schedule.nextFireDate == at(30))
        await advance(clock, to: at(30), scheduler, schedule)
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.dueDate) == [at(30)])
    }

    @Test func cancellingTheScheduleCancelsItsActiveRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let cancelled = Recorder<Bool>()
        let pipeline = JobPipeline(name: "long", clock: clock)
            .step("hour") { _, context in
                do { try await context.sleep(for: .seconds(3600)) } catch {
                    cancelled.append(true)
                    throw error
                }
            }
        let schedule = try pipeline.schedule(on: scheduler, trigger: EveryTrigger(start: at(10), interval: 60))
        await advance(clock, to: at(10), scheduler, schedule)
        await eventually { schedule.runs.count == 1 && clock.sleepingTaskCount == 1 }
        #expect(schedule.status == .running)
        schedule.cancel()
        await schedule.waitUntilFinished()
        #expect(schedule.status == .cancelled)
        #expect(schedule.runs.map(\.status) == [.cancelled])
        #expect(cancelled.all == [true])
        #expect(schedule.nextFireDate == nil)
        #expect(pipeline.activeRuns.isEmpty)
    }

    @Test func aFailedRunIsAFailureOfTheJobAndTheScheduleGoesOn() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "flaky", input: Int.self, clock: clock)
            .step("fail-first") { value, context in
                if context.clock.now.date == pipelineEpoch.addingTimeInterval(5) { throw TestFailure("first run") }
                return value
            }
        let schedule = try pipeline.schedule(on: scheduler, trigger: EveryTrigger(start: at(5), interval: 5, count: 2), input: 1)
        await advance(clock, to: at(5), scheduler, schedule)
        await advance(clock, to: at(10), scheduler, schedule)
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.status) == [.failed, .succeeded])
        let job = try #require(scheduler.job(schedule.jobID))
        #expect(job.counters.runs == 2 && job.counters.failures == 1)
        #expect(job.name == "flaky")
        #expect(schedule.status == .completed)
    }

    @Test func scheduleCompletesWhenTheTriggerIsExhausted() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "twice", input: Int.self, clock: clock).step("id") { value, _ in value }
        let schedule = try pipeline.schedule(on: scheduler, trigger: EveryTrigger(start: at(5), interval: 5, count: 2), input: 1)
        #expect(schedule.nextFireDate == at(5))
        await advance(clock, to: at(5), scheduler, schedule)
        await advance(clock, to: at(10), scheduler, schedule)
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.dueDate) == [at(5), at(10)])
        #expect(schedule.status == .completed)
    }

    @Test func intervalTriggerWithRepeatCountStartsRunsAtItsDates() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let starts = Recorder<Date>()
        let pipeline = JobPipeline(name: "interval", clock: clock).step("record") { _, context in starts.append(context.clock.now.date) }
        let trigger = try IntervalTrigger(every: .seconds(30), startingAt: at(60), repeatCount: 3)
        let schedule = try pipeline.schedule(on: scheduler, trigger: trigger)
        #expect(schedule.nextFireDate == at(60) && schedule.runs.isEmpty)
        for time in [60.0, 90, 120] {
            await advance(clock, to: at(time), scheduler, schedule)
        }
        await schedule.waitUntilFinished()
        #expect(starts.all == [at(60), at(90), at(120)])
        #expect(schedule.status == .completed)
    }

    @Test(arguments: [0, -1])
    func nonPositiveMaxRunsIsRefused(maxRuns: Int) throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "none", clock: clock).step("nothing") { _, _ in }
        #expect(throws: SchedulerError.self) {
            try pipeline.schedule(on: scheduler, trigger: OnceTrigger(at: pipelineEpoch), options: JobOptions(maxRuns: maxRuns))
        }
        #expect(scheduler.jobs().isEmpty)
    }

    @Test func oneShotDateInThePastStartsAtOnce() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = makeScheduler(clock)
        let pipeline = JobPipeline(name: "late", clock: clock).step("run") { _, _ in }
        let schedule = try pipeline.schedule(on: scheduler, trigger: OnceTrigger(at: pipelineEpoch.addingTimeInterval(-60)))
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.dueDate) == [pipelineEpoch.addingTimeInterval(-60)])
    }
}
