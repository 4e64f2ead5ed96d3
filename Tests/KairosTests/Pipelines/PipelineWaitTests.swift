import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct PipelineWaitTests {
    @Test func waitUntilDateResumesExactlyThenAndIsListed() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let deadline = pipelineEpoch.addingTimeInterval(3600)
        let resumedAt = Recorder<Date>()
        let pipeline = JobPipeline(name: "later", input: Int.self, clock: clock)
            .step("prepare") { value, _ in value + 1 }
            .wait(until: deadline)
            .step("finish") { value, context in
                resumedAt.append(context.clock.now.date)
                return value * 2
            }
        let run = pipeline.start(20)
        await eventually { clock.sleepingTaskCount == 1 }
        let waiting = pipeline.waitingRuns
        #expect(waiting.map(\.id) == [run.id])
        #expect(waiting.first?.waitingFor == .date(deadline))
        #expect(waiting.first?.stageIndex == 1)
        clock.advance(to: deadline.addingTimeInterval(-1))
        #expect(resumedAt.count == 0)
        clock.advance(to: deadline)
        #expect(try await run.value == 42)
        #expect(resumedAt.all == [deadline])
        #expect(pipeline.waitingRuns.isEmpty)
    }

    @Test func waitForAnIntervalCountsFromWhenTheRunReachesIt() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "cool-down", clock: clock)
            .step("slow") { _, context in try await context.sleep(for: .seconds(100)) }
            .wait(for: .seconds(60))
        let run = pipeline.start()
        await clock.advance(to: pipelineEpoch.addingTimeInterval(100), whenSleeping: 1)
        await eventually { pipeline.waitingRuns.count == 1 }
        #expect(pipeline.waitingRuns.first?.waitingFor == .date(pipelineEpoch.addingTimeInterval(160)))
        await clock.advance(to: pipelineEpoch.addingTimeInterval(160), whenSleeping: 1)
        #expect(try await run.value == NoValue())
    }

    @Test func waitForEventResumesWithThePayloadAndPostReturnsTheRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "approval", input: String.self, clock: clock)
            .waitForSignal("approved")
            .step("publish") { resumed, _ in "\(resumed.value) approved by \(resumed.payload?["by"]?.stringValue ?? "?")" }
        #expect(pipeline.send(signal: "approved").isEmpty, "nothing waits yet: the event is dropped")
        let run = pipeline.start("report")
        for await event in run.events {
            if case .waiting(_, on: .signal("approved")) = event.kind { break }
        }
        #expect(pipeline.waitingRuns.map(\.waitingFor) == [.signal("approved")])
        #expect(pipeline.send(signal: "unrelated").isEmpty)
        let resumed = pipeline.send(signal: "approved", payload: ["by": "ann"])
        #expect(resumed == [SignalWaiter(kind: .pipelineRun, id: run.id.rawValue, name: "approval")])
        #expect(try await run.value == "report approved by ann")
        #expect(pipeline.send(signal: "approved").isEmpty, "the wait is once only")
    }

    @Test func eventPostedOnTheSharedHubResumesEveryWaitingRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let hub = SignalHub()
        let pipeline = JobPipeline(name: "batch", input: Int.self, clock: clock, signals: hub)
            .waitForSignal("go")
            .step("use") { resumed, _ in resumed.value + Int(resumed.payload?.numberValue ?? 0) }
        let runs = (1...3).map { pipeline.start($0) }
        await eventually { pipeline.waitingRuns.count == 3 }
        let waiters = hub.send("go", payload: 10)
        #expect(Set(waiters.map(\.id)) == Set(runs.map(\.id.rawValue)))
        #expect(waiters.allSatisfy { $0.kind == .pipelineRun })
        var values: [Int] = []
        for run in runs { values.append(try await run.value) }
        #expect(values == [11, 12, 13])
    }

    @Test func schedulerPostResumesARunWaitingOnItsHubAndReturnsIt() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let scheduler = Scheduler(configuration: .init(clock: clock))
        let pipeline = JobPipeline(name: "deploy", input: Int.self, clock: clock, signals: scheduler.configuration.signalHub)
            .waitForSignal("release")
            .step("ship") { resumed, _ in "build \(resumed.value) by \(resumed.payload?.stringValue ?? "?")" }
        let run = pipeline.start(7)
        await eventually { pipeline.waitingRuns.count == 1 }
        let reached = scheduler.send(signal: "release", payload: "ann")
        #expect(reached == [SignalWaiter(kind: .pipelineRun, id: run.id.rawValue, name: "deploy")])
        #expect(try await run.value == "build 7 by ann")
        #expect(scheduler.send(signal: "release").isEmpty)
    }

    @Test func eventKeyCanBeComputedPerRun() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "orders", input: Int.self, clock: clock)
            .waitForSignal("wait for payment") { order, _ in "paid-\(order)" }
        let first = pipeline.start(1)
        let second = pipeline.start(2)
        await eventually { pipeline.waitingRuns.count == 2 }
        #expect(pipeline.send(signal: "paid-2").map(\.id) == [second.id.rawValue])
        #expect(try await second.value.signal == "paid-2")
        #expect(pipeline.waitingRuns.map(\.id) == [first.id])
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
    }

    @Test func cancellingAWaitingRunRemovesItsRegistration() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let hub = SignalHub()
        let pipeline = JobPipeline(name: "stuck", clock: clock, signals: hub)
            .waitForSignal("never")
        let run = pipeline.start()
        await eventually { hub.waiters(for: "never").count == 1 }
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(hub.waiters(for: "never").isEmpty)
        #expect(pipeline.activeRuns.isEmpty)
    }

    @Test func cancellingARunWaitingForADateEndsTheWait() async throws {
        let clock = ManualClock(now: pipelineEpoch)
        let pipeline = JobPipeline(name: "sleepy", clock: clock).wait(for: .seconds(86_400))
        let run = pipeline.start()
        await eventually { clock.sleepingTaskCount == 1 }
        run.cancel()
        #expect(await run.outcome == .cancelled)
        #expect(clock.sleepingTaskCount == 0)
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    var numberValue: Double? { if case .number(let value) = self { value } else { nil } }
    subscript(key: String) -> JSONValue? { if case .object(let object) = self { object[key] } else { nil } }
}
