import Foundation
import Synchronization
import Testing

@testable import Kairos

/// Counts calls from any thread.
final class CallCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite("PersistentScheduler pipeline runs", .timeLimit(.minutes(1)))
struct PersistentPipelineTests {
    static func pipeline(clock: ManualClock, doubled: CallCounter) -> JobPipeline<Int, Int> {
        JobPipeline(name: "etl", input: Int.self, clock: clock)
            .step("double") { (value: Int, _) in
                doubled.increment()
                return value * 2
            }
            .waitForSignal("approved")
            .step("add one") { (approved: SignalResumption<Int>, _) in approved.value + 1 }
    }

    @Test func aWaitingPipelineRunResumesAfterARestartWithoutRedoingItsStages() async throws {
        let first = try PersistentHarness()
        let firstDoubled = CallCounter()
        let pipeline = first.scheduler.persisting(Self.pipeline(clock: first.clock, doubled: firstDoubled))
        let run = pipeline.start(20)
        await eventually("the run waits") { !pipeline.waitingRuns.isEmpty }
        #expect(firstDoubled.value == 1)

        let second = try first.crashAndRestart(at: first.clock.now.date)
        let checkpoints = try second.scheduler.pipelineCheckpoints(named: "etl")
        #expect(checkpoints.map(\.runID) == [run.id])
        #expect(checkpoints.first?.stageIndex == 1)
        let secondDoubled = CallCounter()
        let restarted = Self.pipeline(clock: second.clock, doubled: secondDoubled)
        let (resumed, refused) = try second.scheduler.resumePipelineRuns(of: restarted)
        #expect(refused.isEmpty)
        let resumedRun = try #require(resumed.first)
        await eventually("the resumed run waits") { !restarted.waitingRuns.isEmpty }
        restarted.send(signal: "approved")
        #expect(try await resumedRun.value == 41)
        #expect(secondDoubled.value == 0, "the completed stage is not run again")

        // An ended run is removed from the state.
        let third = try second.crashAndRestart(at: second.clock.now.date)
        #expect(try third.scheduler.pipelineCheckpoints(named: "etl").isEmpty)
        run.cancel()
    }

    @Test func aRunFailsBeforeItsFirstStageWhenItsCheckpointCannotBeStored() async throws {
        // Operations 0–5 open the new state; 6 and 7 are the first commit's write and fsync.
        let harness = try PersistentHarness(fileSystem: SimulatedFileSystem(faultAt: 7, fault: .fail))
        let doubled = CallCounter()
        let pipeline = harness.scheduler.persisting(Self.pipeline(clock: harness.clock, doubled: doubled))
        let run = pipeline.start(20)
        let error = await #expect(throws: PipelineError.self) { try await run.value }
        guard case .checkpointFailed(let stageIndex, let underlying)? = error else {
            Issue.record("expected a checkpoint failure, got \(String(describing: error))")
            return
        }
        #expect(stageIndex == 0)
        guard case .stopped? = underlying as? PersistenceError else {
            Issue.record("expected the stopped state's error, got \(underlying)")
            return
        }
        #expect(await run.outcome == .failed)
        #expect(doubled.value == 0, "no stage runs when the run's start cannot be recorded")
        #expect(harness.scheduler.failure != nil)
    }
}
