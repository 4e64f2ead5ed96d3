import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct PipelineCheckpointTests {
    private func roundTrip(_ checkpoint: PipelineCheckpoint) throws -> PipelineCheckpoint {
        try JSONDecoder().decode(PipelineCheckpoint.self, from: JSONEncoder().encode(checkpoint))
    }

    @Test func checkpointIsTakenAtStartAfterEachStageAndAtTheEnd() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let checkpoints = Recorder<PipelineCheckpoint>()
        let pipeline = JobPipeline(name: "etl", input: [Int].self, clock: clock)
            .onCheckpoint { checkpoints.append($0) }
            .forEach("square") { value, _ in value * value }
            .step("sum") { squares, _ in squares.reduce(0, +) }
        let run = pipeline.start([1, 2, 3])
        #expect(try await run.value == 14)
        let taken = checkpoints.all
        #expect(taken.map(\.stageIndex) == [0, 1, 2, 2])
        #expect(taken.map(\.status) == [.running, .running, .running, .succeeded])
        #expect(taken.allSatisfy { $0.runID == run.id && $0.pipelineName == "etl" && $0.stageCount == 2 })
        #expect(taken.allSatisfy { $0.input == [1, 2, 3] })
        #expect(taken.last?.completedStageResults == [[1, 4, 9], 14])
        #expect(try roundTrip(taken[1]) == taken[1])
    }

    @Test func checkpointOnDemandShowsTheRunInItsWait() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "on-demand", input: Int.self, clock: clock)
            .step("double") { value, _ in value * 2 }
            .waitForSignal("go")
        let run = pipeline.start(21)
        await eventually { pipeline.waitingRuns.count == 1 }
        let checkpoint = try run.checkpoint()
        #expect(checkpoint.status == .waiting && checkpoint.stageIndex == 1)
        #expect(checkpoint.completedStageResults == [42] && checkpoint.wait == .signal("go"))
        #expect(run.info.waitingFor == .signal("go") && run.info.stageName == "wait for \"go\"")
        run.cancel()
        #expect(await run.outcome == .cancelled)
    }

    @Test func resumingStartsAfterTheLastCompletedStage() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let downloads = Recorder<Int>()
        let checkpoints = Recorder<PipelineCheckpoint>()
        func definition(loadFails: Bool) -> JobPipeline<[Int], String> {
            JobPipeline(name: "import", input: [Int].self, clock: clock)
                .onCheckpoint { checkpoints.append($0) }
                .forEach("download") { id, _ in
                    downloads.append(id)
                    return "file-\(id)"
                }
                .step("load") { files, _ in
                    if loadFails { throw TestFailure("database down") }
                    return files.joined(separator: ",")
                }
        }
        let failed = definition(loadFails: true).start([7, 8])
        #expect(await failed.outcome == .failed)
        #expect(checkpoints.all.last?.failure?.contains("database down") == true)
        // The last checkpoint of a still-running run, as a persistence layer would have kept it.
        let saved = try roundTrip(try #require(checkpoints.all.last { $0.status == .running && $0.stageIndex == 1 }))

        let resumed = try definition(loadFails: false).start(from: saved)
        #expect(resumed.id == failed.id)
        #expect(try await resumed.value == "file-7,file-8")
        #expect(downloads.all.sorted() == [7, 8], "the download stage did not run again")
        var first: PipelineEvent.Kind?
        for await event in resumed.events { first = first ?? event.kind }
        #expect(first == .runStarted(atStage: 1))
    }

    @Test func runResumedInADateWaitKeepsItsOriginalDeadline() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let checkpoints = Recorder<PipelineCheckpoint>()
        let pipeline = JobPipeline(name: "reminder", input: String.self, clock: clock)
            .onCheckpoint { checkpoints.append($0) }
            .wait(for: .seconds(3600))
            .step("send") { text, context in "\(text) at \(context.clock.now.date.timeIntervalSince(pipelineEpoch))" }
        let first = pipeline.start("ping")
        await eventually { clock.sleepingTaskCount == 1 }
        let saved = try #require(checkpoints.all.last)
        #expect(saved.wait == .date(pipelineEpoch.addingTimeInterval(3600)))
        first.cancel()  // the process dies
        _ = await first.outcome

        clock.advance(by: .seconds(1000))  // it restarts 1000 s later
        let resumed = try pipeline.start(from: try roundTrip(saved))
        await eventually { clock.sleepingTaskCount == 1 }
        #expect(pipeline.waitingRuns.first?.waitingFor == .date(pipelineEpoch.addingTimeInterval(3600)))
        clock.advance(to: pipelineEpoch.addingTimeInterval(3599))
        #expect(resumed.info.status == .waiting)
        clock.advance(to: pipelineEpoch.addingTimeInterval(3600))
        #expect(try await resumed.value == "ping at 3600.0")
    }

    @Test func runResumedInAnEventWaitWaitsForTheSameKey() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let checkpoints = Recorder<PipelineCheckpoint>()
        let pipeline = JobPipeline(name: "approval", input: Int.self, clock: clock)
            .onCheckpoint { checkpoints.append($0) }
            .waitForSignal("approve") { order, _ in "approve-\(order)" }
            .step("ship") { resumed, _ in resumed.value }
        let first = pipeline.start(5)
        await eventually { pipeline.waitingRuns.count == 1 }
        let saved = try #require(checkpoints.all.last)
        #expect(saved.wait == .signal("approve-5"))
        first.cancel()
        _ = await first.outcome

        let resumed = try pipeline.start(from: saved)
        await eventually { pipeline.waitingRuns.count == 1 }
        #expect(pipeline.send(signal: "approve-5").map(\.id) == [saved.runID.rawValue])
        #expect(try await resumed.value == 5)
    }

    @Test func checkpointHandlerFailureFailsTheRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let ran = Recorder<String>()
        let pipeline = JobPipeline(name: "no-disk", clock: clock)
            .onCheckpoint { checkpoint in
                if checkpoint.stageIndex == 1 { throw TestFailure("fsync failed") }
            }
            .step("one") { _, _ in ran.append("one") }
            .step("two") { _, _ in ran.append("two") }
        let run = pipeline.start()
        let error = await #expect(throws: PipelineError.self) { try await run.value }
        guard case .checkpointFailed(let index, let underlying)? = error else {
            Issue.record("expected a checkpoint failure, got \(String(describing: error))")
            return
        }
        #expect(index == 1 && (underlying as? TestFailure) == TestFailure("fsync failed"))
        #expect(ran.all == ["one"])
    }

    @Test func foreignOrInconsistentCheckpointsAreRejected() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "p", input: Int.self, clock: clock)
            .step("a") { value, _ in value + 1 }
            .wait(for: .seconds(10))
        let valid = PipelineCheckpoint(
            runID: PipelineRunID(rawValue: "r1"), pipelineName: "p", stageCount: 2, input: 1, stageIndex: 1,
            completedStageResults: [2], wait: nil, status: .running, failure: nil,
            startedAt: pipelineEpoch, takenAt: pipelineEpoch
        )
        var wrongName = valid
        wrongName.pipelineName = "q"
        var wrongCount = valid
        wrongCount.stageCount = 3
        var inconsistent = valid
        inconsistent.completedStageResults = []
        var ended = valid
        ended.status = .succeeded
        var badValue = valid
        badValue.completedStageResults = ["two"]
        var badWait = valid
        badWait.stageIndex = 0
        badWait.completedStageResults = []
        badWait.wait = .signal("x")
        let cases: [(PipelineCheckpoint, String)] = [
            (wrongName, "not \"p\""), (wrongCount, "3 stages"), (inconsistent, "does not match"),
            (ended, "already ended"), (badValue, "do not decode"), (badWait, "not a matching wait step"),
        ]
        for (checkpoint, reason) in cases {
            #expect {
                try pipeline.start(from: checkpoint)
            } throws: { error in
                (error as? PipelineCheckpointError)?.description.contains(reason) == true
            }
        }
        #expect(pipeline.activeRuns.isEmpty)

        var waiting = valid
        waiting.wait = .date(pipelineEpoch.addingTimeInterval(5))
        let run = try pipeline.start(from: waiting)
        await eventually { clock.sleepingTaskCount == 1 }
        #expect(throws: PipelineCheckpointError.self) { try pipeline.start(from: waiting) }
        clock.advance(by: .seconds(5))
        #expect(try await run.value == 2)
    }

    // MARK: Exact values

    static let extremeIntegers = [1 << 53 + 1, Int.max, Int.min, -(1 << 53) - 1, 1 << 53, 0]

    /// The issue's reproduction: `checkpoint()` then `start(from:)` turned 2^53+1 into 2^53.
    @Test func integersADoubleWouldRoundSurviveACheckpointAndResumeExactly() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "big", input: [Int].self, clock: clock)
            .step("negate") { values, _ in values.map { $0 == .min ? $0 : -$0 } }
            .waitForSignal("go")
            .step("pass") { (resumed: SignalResumption<[Int]>, _) in resumed.value }
        let run = pipeline.start(Self.extremeIntegers)
        await eventually("the run waits") { pipeline.waitingRuns.count == 1 }
        let saved = try roundTrip(try run.checkpoint())
        run.cancel()
        #expect(await run.outcome == .cancelled)

        #expect(try saved.input.decode([Int].self) == Self.extremeIntegers)
        let resumed = try pipeline.start(from: saved)
        await eventually("the resumed run waits") { pipeline.waitingRuns.count == 1 }
        pipeline.send(signal: "go")
        let expected = Self.extremeIntegers.map { $0 == .min ? $0 : -$0 }
        #expect(try await resumed.value == expected)
    }

    @Test func aPersistedRunKeepsItsIntegersExactAcrossARestart() async throws {
        let first = try PersistentHarness()
        func definition(clock: ManualClock) -> JobPipeline<Int, Int> {
            JobPipeline(name: "big", input: Int.self, clock: clock)
                .step("decrement") { value, _ in value - 1 }
                .waitForSignal("go")
                .step("pass") { (resumed: SignalResumption<Int>, _) in resumed.value }
        }
        let pipeline = first.scheduler.persisting(definition(clock: first.clock))
        let run = pipeline.start(Int.max)
        await eventually("the run waits") { pipeline.waitingRuns.count == 1 }

        let second = try first.crashAndRestart(at: first.clock.now.date)
        let restarted = definition(clock: second.clock)
        let (resumed, refused) = try second.scheduler.resumePipelineRuns(of: restarted)
        #expect(refused.isEmpty)
        let resumedRun = try #require(resumed.first)
        await eventually("the resumed run waits") { restarted.waitingRuns.count == 1 }
        restarted.send(signal: "go")
        #expect(try await resumedRun.value == Int.max - 1)
        run.cancel()
    }

    @Test func aNumberNoJSONValueHoldsExactlyIsRefusedNotRounded() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let unsigned = JobPipeline(name: "unsigned", input: Int.self, clock: clock)
            .step("widen") { value, _ in UInt64.max - UInt64(value) }
            .waitForSignal("go")
        let run = unsigned.start(1)
        await eventually("the run waits") { unsigned.waitingRuns.count == 1 }
        let error = #expect(throws: PipelineCheckpointValueError.self) { try run.checkpoint() }
        #expect(error?.stageIndex == 0 && error?.stageName == "widen")
        #expect((error?.underlying as? JSONValue.InexactNumberError)?.number == "18446744073709551614")
        run.cancel()

        // With a checkpoint handler the run stops rather than record a changed value.
        let checkpoints = Recorder<PipelineCheckpoint>()
        let handled = JobPipeline(name: "handled", input: Int.self, clock: clock)
            .onCheckpoint { checkpoints.append($0) }
            .step("widen") { value, _ in UInt64.max - UInt64(value) }
            .step("never") { value, _ in value }
        let failing = handled.start(1)
        let failure = await #expect(throws: PipelineError.self) { try await failing.value }
        guard case .checkpointFailed(let stage, let underlying)? = failure else {
            Issue.record("expected checkpointFailed, got \(String(describing: failure))")
            return
        }
        #expect(stage == 1 && underlying is PipelineCheckpointValueError)
        #expect(checkpoints.all.map(\.stageIndex) == [0])
    }
}
