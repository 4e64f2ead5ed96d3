import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct JobPipelineTests {
    @Test func resultsFlowFromStageToStage() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "numbers", input: [Int].self, clock: clock)
            .forEach("double") { number, _ in number * 2 }
            .stage(
                "summarize",
                jobs: [
                    PipelineJob("sum") { doubled, _ in doubled.reduce(0, +) },
                    PipelineJob("max") { doubled, _ in doubled.max() ?? 0 },
                ]
            )
            .step("format") { summary, _ in "sum=\(summary[0]) max=\(summary[1])" }
        let text = try await pipeline.start([1, 2, 3, 10]).value
        #expect(text == "sum=32 max=20")
        #expect(pipeline.stageNames == ["double", "summarize", "format"])
    }

    @Test func jobsOfAStageRunInParallel() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let gauge = Gauge()
        let pipeline = JobPipeline(name: "parallel", input: [Int].self, clock: clock)
            .forEach("sleepers") { seconds, context in
                gauge.enter()
                defer { gauge.leave() }
                try await context.sleep(for: .seconds(TimeInterval(seconds)))
                return seconds
            }
        let run = pipeline.start([5, 5, 5, 5])
        await clock.advance(to: pipelineEpoch.addingTimeInterval(5), whenSleeping: 4)
        #expect(try await run.value == [5, 5, 5, 5])
        #expect(gauge.peak == 4)
        #expect(clock.now.date == pipelineEpoch.addingTimeInterval(5))
    }

    @Test func failFastCancelsSiblingsAndStopsTheRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let cancelled = Recorder<String>()
        let laterStage = Recorder<String>()
        func slow(_ name: String) -> PipelineJob<NoValue, String> {
            PipelineJob(name) { _, context in
                do {
                    try await context.sleep(for: .seconds(100))
                } catch is CancellationError {
                    cancelled.append(name)
                    throw CancellationError()
                }
                return name
            }
        }
        let pipeline = JobPipeline(name: "fail-fast", clock: clock)
            .stage(
                "mixed", failurePolicy: .failFast,
                jobs: [
                    slow("slow-1"),
                    PipelineJob("bad") { _, _ in throw TestFailure("disk full") },
                    slow("slow-2"),
                ]
            )
            .step("after") { _, _ in laterStage.append("ran") }
        let run = pipeline.start()
        let error = await #expect(throws: PipelineError.self) { try await run.value }
        guard case .stageFailed(let index, let name, let failures)? = error else {
            Issue.record("expected a stage failure, got \(String(describing: error))")
            return
        }
        #expect(
            index == 0 && name == "mixed" && failures.map(\.job) == ["bad"]
                && (failures.first?.error as? TestFailure) == TestFailure("disk full"))
        #expect(Set(cancelled.all) == ["slow-1", "slow-2"])
        #expect(laterStage.all.isEmpty)
        #expect(clock.now.date == pipelineEpoch)
        #expect(await run.outcome == .failed)
    }

    @Test func finishStageLetsEveryJobFinishAndCollectsAllFailures() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let finished = Recorder<String>()
        let pipeline = JobPipeline(name: "finish", clock: clock, failurePolicy: .finishStage)
            .stage(
                "mixed",
                jobs: [
                    PipelineJob<NoValue, Int>("a") { _, _ in throw TestFailure("a broke") },
                    PipelineJob("b") { _, context in
                        try await context.sleep(for: .seconds(10))
                        finished.append("b")
                        return 1
                    },
                    PipelineJob("c") { _, context in
                        try await context.sleep(for: .seconds(5))
                        throw TestFailure("c broke")
                    },
                ])
        let run = pipeline.start()
        await clock.advance(to: pipelineEpoch.addingTimeInterval(10), whenSleeping: 2)
        let error = await #expect(throws: PipelineError.self) { try await run.value }
        guard case .stageFailed(_, _, let failures)? = error else {
            Issue.record("expected a stage failure, got \(String(describing: error))")
            return
        }
        #expect(
            failures.map(\.job) == ["a", "c"]
                && failures.map(\.description) == [
                    "job \"a\" failed after 1 attempt: a broke", "job \"c\" failed after 1 attempt: c broke",
                ])
        #expect(finished.all == ["b"])
    }

    @Test func retriesBackOffExponentiallyOnTheClock() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let attempts = Recorder<Date>()
        let retry = try RetryPolicy(maxAttempts: 3, initialDelay: .seconds(2), multiplier: 3)
        let pipeline = JobPipeline(name: "flaky", clock: clock)
            .step("flaky", retry: retry) { _, context in
                attempts.append(context.clock.now.date)
                if context.attempt < 3 { throw TestFailure("try again") }
                return context.attempt
            }
        let run = pipeline.start()
        await clock.advance(to: pipelineEpoch.addingTimeInterval(1.9), whenSleeping: 1)
        #expect(attempts.count == 1)
        clock.advance(to: pipelineEpoch.addingTimeInterval(2))
        await eventually { attempts.count == 2 }
        await clock.advance(to: pipelineEpoch.addingTimeInterval(7.9), whenSleeping: 1)
        #expect(attempts.count == 2)
        clock.advance(to: pipelineEpoch.addingTimeInterval(8))
        #expect(try await run.value == 3)
        #expect(attempts.all == [0, 2, 8].map { pipelineEpoch.addingTimeInterval($0) })
    }

    @Test func retriesGiveUpAfterMaxAttempts() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "hopeless", clock: clock)
            .step("always-fails", retry: try RetryPolicy(maxAttempts: 2, initialDelay: .seconds(1))) { _, _ -> Int in
                throw TestFailure("nope")
            }
        let run = pipeline.start()
        await clock.advance(to: pipelineEpoch.addingTimeInterval(1), whenSleeping: 1)
        let error = await #expect(throws: PipelineError.self) { try await run.value }
        guard case .stageFailed(_, _, let failures)? = error else {
            Issue.record("expected a stage failure, got \(String(describing: error))")
            return
        }
        #expect(failures.count == 1 && failures[0].attempts == 2)
    }

    @Test func jitterShortensBackoffWithinItsFraction() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let delays = Recorder<Duration>()
        let retry = try RetryPolicy(maxAttempts: 2, initialDelay: .seconds(10), jitter: 0.5)
        let pipeline = JobPipeline(name: "jitter", input: [Int].self, clock: clock)
            .onEvent { event in
                if case .jobRetrying(_, _, _, let delay) = event.kind { delays.append(delay) }
            }
            .forEach("flaky", retry: retry) { value, context in
                if context.attempt == 1 { throw TestFailure("first attempt fails") }
                return value
            }
        let run = pipeline.start(Array(0..<20))
        await clock.advance(to: pipelineEpoch.addingTimeInterval(10), whenSleeping: 20)
        #expect(try await run.value == Array(0..<20))
        #expect(delays.count == 20)
        #expect(delays.all.allSatisfy { (Duration.seconds(5)...Duration.seconds(10)).contains($0) })
        #expect(Set(delays.all).count > 1)
    }

    @Test func timeoutCancelsTheAttemptAndFailsTheJob() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let sawCancellation = Recorder<Bool>()
        let pipeline = JobPipeline(name: "slow", clock: clock)
            .step("stuck", timeout: .seconds(5)) { _, context -> Int in
                do {
                    try await context.sleep(for: .seconds(60))
                } catch {
                    sawCancellation.append(true)
                    throw error
                }
                return 1
            }
        let run = pipeline.start()
        await clock.advance(to: pipelineEpoch.addingTimeInterval(5), whenSleeping: 2)
        let error = await #expect(throws: PipelineError.self) { try await run.value }
        guard case .stageFailed(_, _, let failures)? = error else {
            Issue.record("expected a stage failure, got \(String(describing: error))")
            return
        }
        #expect(
            failures.count == 1 && failures[0].timedOut
                && (failures[0].error as? PipelineJobTimeoutError) == PipelineJobTimeoutError(job: "stuck", timeout: .seconds(5)))
        #expect(sawCancellation.all == [true])
    }

    @Test(arguments: [Duration.zero, .seconds(-1)])
    func nonPositiveTimeoutFailsEveryAttemptWithoutRunningTheBody(timeout: Duration) async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let bodyRuns = Recorder<Int>()
        let pipeline = JobPipeline(name: "instant", clock: clock)
            .step("quick", retry: try RetryPolicy(maxAttempts: 2, initialDelay: .seconds(0)), timeout: timeout) { _, context -> Int in
                bodyRuns.append(context.attempt)
                return 1
            }
        let error = await #expect(throws: PipelineError.self) { try await pipeline.start().value }
        guard case .stageFailed(_, _, let failures)? = error else {
            Issue.record("expected a stage failure, got \(String(describing: error))")
            return
        }
        #expect(failures.count == 1 && failures[0].timedOut && failures[0].attempts == 2)
        #expect(bodyRuns.all.isEmpty)
    }

    @Test func timedOutAttemptIsRetried() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let retrying = Recorder<Int>()
        let pipeline = JobPipeline(name: "slow-then-fast", clock: clock)
            .onEvent { event in
                if case .jobRetrying(_, _, let next, _) = event.kind { retrying.append(next) }
            }
            .step("sometimes-stuck", retry: try RetryPolicy(maxAttempts: 2, initialDelay: .seconds(1)), timeout: .seconds(5)) { _, context in
                if context.attempt == 1 { try await context.sleep(for: .seconds(60)) }
                return context.attempt
            }
        let run = pipeline.start()
        await clock.advance(to: pipelineEpoch.addingTimeInterval(5), whenSleeping: 2)
        // The cancelled attempt's sleep leaves the clock only after the retry is decided.
        await eventually { retrying.count == 1 }
        await clock.advance(to: pipelineEpoch.addingTimeInterval(6), whenSleeping: 1)
        #expect(try await run.value == 2)
    }

    @Test func cancellingARunCancelsItsJobsAndSkipsLaterStages() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let laterStage = Recorder<String>()
        let cancelled = Recorder<String>()
        let pipeline = JobPipeline(name: "cancel-me", clock: clock)
            .step("long") { _, context in
                do { try await context.sleep(for: .seconds(3600)) } catch {
                    cancelled.append("long")
                    throw error
                }
                return 1
            }
            .step("after") { _, _ in laterStage.append("ran") }
        let run = pipeline.start()
        await eventually { clock.sleepingTaskCount == 1 }
        #expect(pipeline.activeRuns.map(\.id) == [run.id])
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(await run.outcome == .cancelled)
        #expect(cancelled.all == ["long"])
        #expect(laterStage.all.isEmpty)
        #expect(pipeline.activeRuns.isEmpty)
        var kinds: [PipelineEvent.Kind] = []
        for await event in run.events { kinds.append(event.kind) }
        #expect(kinds.last == .runFinished(.cancelled))
    }

    @Test func eventsReportProgressInOrder() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let callbackEvents = Recorder<PipelineEvent>()
        let pipeline = JobPipeline(name: "observed", input: Int.self, clock: clock)
            .onEvent { callbackEvents.append($0) }
            .step("inc") { value, _ in value + 1 }
            .step("check", retry: try RetryPolicy(maxAttempts: 2, initialDelay: .seconds(0))) { value, context in
                if context.attempt == 1 { throw TestFailure("flaky") }
                return value * 10
            }
        let run = pipeline.start(1)
        var kinds: [PipelineEvent.Kind] = []
        for await event in run.events {
            #expect(event.runID == run.id && event.pipelineName == "observed")
            kinds.append(event.kind)
        }
        #expect(try await run.value == 20)
        #expect(
            kinds == [
                .runStarted(atStage: 0),
                .stageStarted(index: 0, name: "inc"),
                .jobStarted(stage: 0, job: "inc", attempt: 1),
                .jobSucceeded(stage: 0, job: "inc", attempt: 1),
                .stageFinished(index: 0, name: "inc", succeeded: true),
                .stageStarted(index: 1, name: "check"),
                .jobStarted(stage: 1, job: "check", attempt: 1),
                .jobFailed(stage: 1, job: "check", attempt: 1, reason: "flaky", timedOut: false),
                .jobRetrying(stage: 1, job: "check", nextAttempt: 2, delay: .zero),
                .jobStarted(stage: 1, job: "check", attempt: 2),
                .jobSucceeded(stage: 1, job: "check", attempt: 2),
                .stageFinished(index: 1, name: "check", succeeded: true),
                .runFinished(.succeeded),
            ])
        #expect(callbackEvents.all.map(\.kind) == kinds)
    }

    @Test func emptyForEachGivesEmptyOutput() async throws {
        let pipeline = JobPipeline(name: "empty", input: [Int].self, clock: ManualClock(now: pipelineEpoch))
            .forEach("nothing") { value, _ in value }
        #expect(try await pipeline.start([]).value == [])
    }
}
