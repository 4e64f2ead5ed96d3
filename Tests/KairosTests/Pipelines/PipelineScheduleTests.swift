import Foundation
import Testing
@testable import Kairos

@Suite struct PipelineScheduleTests {
    private func at(_ seconds: TimeInterval) -> Date { pipelineEpoch.addingTimeInterval(seconds) }

    @Test func scheduledPipelineNeverOverlapsAndSkipsFireDatesPassedWhileRunning() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let gauge = Gauge()
        let pipeline = JobPipeline(name: "every-10s", clock: clock)
            .step("takes-25s") { _, context in
                gauge.enter()
                defer { gauge.leave() }
                try await context.sleep(for: 25)
            }
        let schedule = pipeline.schedule(EveryTrigger(start: at(10), interval: 10), maxRuns: 3)
        // Each run: the schedule sleeps until the due date, then the run sleeps 25 s.
        for time in [10.0, 35, 40, 65, 70, 95] {
            await clock.advance(to: at(time), whenSleeping: 1)
            await eventually("the clock to be idle at \(time)") { clock.sleepingTaskCount == 1 || schedule.status == .completed }
        }
        await schedule.waitUntilFinished()
        let runs = schedule.runs
        #expect(runs.map(\.dueDate) == [at(10), at(40), at(70)])
        #expect(runs.map(\.startedAt) == [at(10), at(40), at(70)])
        #expect(runs.map(\.endedAt) == [at(35), at(65), at(95)])
        #expect(runs.allSatisfy { $0.status == .succeeded })
        for (previous, next) in zip(runs, runs.dropFirst()) {
            #expect(next.startedAt >= previous.endedAt!)
        }
        #expect(gauge.peak == 1)
        #expect(schedule.skippedFireDates == 4)  // 20, 30, 50, 60
        #expect(schedule.status == .completed)
    }

    @Test func runEndingExactlyOnAFireDateStartsTheNextAtOnce() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "exact", clock: clock)
            .step("takes-10s") { _, context in try await context.sleep(for: 10) }
        let schedule = pipeline.schedule(EveryTrigger(start: at(10), interval: 10), maxRuns: 2)
        await clock.advance(to: at(10), whenSleeping: 1)
        await eventually { schedule.runs.count == 1 }
        await clock.advance(to: at(20), whenSleeping: 1)
        await eventually { schedule.runs.count == 2 }
        await clock.advance(to: at(30), whenSleeping: 1)
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.startedAt) == [at(10), at(20)])
        #expect(schedule.skippedFireDates == 0)
    }

    @Test func pausedScheduleSkipsFireDatesAndResumesAtTheNextOne() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "pausable", clock: clock).step("quick") { _, _ in }
        let schedule = pipeline.schedule(EveryTrigger(start: at(10), interval: 10), maxRuns: 1)
        await eventually { clock.sleepingTaskCount == 1 }
        schedule.pause()
        #expect(schedule.status == .paused)
        clock.advance(to: at(25))
        schedule.resume()
        await clock.advance(to: at(30), whenSleeping: 1)
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.dueDate) == [at(30)])
        #expect(schedule.skippedFireDates == 2)  // 10 and 20
    }

    @Test func cancellingTheScheduleCancelsItsActiveRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let cancelled = Recorder<Bool>()
        let pipeline = JobPipeline(name: "long", clock: clock)
            .step("hour") { _, context in
                do { try await context.sleep(for: 3600) } catch {
                    cancelled.append(true)
                    throw error
                }
            }
        let schedule = pipeline.schedule(EveryTrigger(start: at(10), interval: 60))
        await clock.advance(to: at(10), whenSleeping: 1)
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

    @Test func scheduleCompletesWhenTheTriggerIsExhausted() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "twice", input: Int.self, clock: clock).step("id") { value, _ in value }
        let schedule = pipeline.schedule(EveryTrigger(start: at(5), interval: 5, count: 2), input: 1)
        await eventually("the schedule to sleep until its first date") { clock.sleepingTaskCount == 1 }
        #expect(schedule.nextFireDate == at(5))
        await clock.advance(to: at(5), whenSleeping: 1)
        await clock.advance(to: at(10), whenSleeping: 1)
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.dueDate) == [at(5), at(10)])
        #expect(schedule.status == .completed)
    }

    @Test func intervalTriggerWithRepeatCountStartsRunsAtItsDates() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let starts = Recorder<Date>()
        let pipeline = JobPipeline(name: "interval", clock: clock).step("record") { _, context in starts.append(context.clock.now) }
        let trigger = try IntervalTrigger(every: .seconds(30), startingAt: at(60), repeatCount: 3)
        let schedule = pipeline.schedule(trigger)
        await eventually("the schedule to sleep until its first date") { clock.sleepingTaskCount == 1 }
        #expect(schedule.nextFireDate == at(60) && schedule.runs.isEmpty)
        for time in [60.0, 90, 120] {
            await clock.advance(to: at(time), whenSleeping: 1)
            await eventually { starts.count == Int((time - 30) / 30) }
        }
        await schedule.waitUntilFinished()
        #expect(starts.all == [at(60), at(90), at(120)])
        #expect(schedule.status == .completed)
    }

    @Test(arguments: [0, -1])
    func nonPositiveMaxRunsCompletesWithoutARun(maxRuns: Int) async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let starts = Recorder<Date>()
        let pipeline = JobPipeline(name: "none", clock: clock).step("record") { _, context in starts.append(context.clock.now) }
        let schedule = pipeline.schedule(OnceTrigger(at: pipelineEpoch), maxRuns: maxRuns)
        await schedule.waitUntilFinished()
        #expect(schedule.status == .completed && schedule.runs.isEmpty && starts.all.isEmpty)
    }

    @Test func oneShotDateInThePastStartsAtOnce() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "late", clock: clock).step("run") { _, _ in }
        let schedule = pipeline.schedule(OnceTrigger(at: pipelineEpoch.addingTimeInterval(-60)))
        await schedule.waitUntilFinished()
        #expect(schedule.runs.map(\.dueDate) == [pipelineEpoch.addingTimeInterval(-60)])
    }
}
