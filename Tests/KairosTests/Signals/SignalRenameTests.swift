import Foundation
import Synchronization
import Testing

@testable import Kairos

/// Incoming named messages are signals now (they were events): what was stored under the old name
/// still decodes, what is written keeps the old coded names, and the old API forwards.
@Suite(.timeLimit(.minutes(1))) struct SignalRenameTests {
    @Test func codedFormsKeepTheNameEvent() throws {
        let trigger = try JSONEncoder().encode(TriggerDescription.signal(key: "deploy"))
        #expect(String(decoding: trigger, as: UTF8.self) == #"{"event":{"key":"deploy"}}"#)
        #expect(try JSONDecoder().decode(TriggerDescription.self, from: trigger) == .signal(key: "deploy"))

        let wait = try JSONEncoder().encode(PipelineWait.signal("go"))
        #expect(String(decoding: wait, as: UTF8.self) == #"{"event":{"_0":"go"}}"#)
        #expect(try JSONDecoder().decode(PipelineWait.self, from: wait) == .signal("go"))

        let stored = Data(#"{"value":3,"event":"paid","payload":"card"}"#.utf8)
        let resumption = try JSONDecoder().decode(SignalResumption<Int>.self, from: stored)
        #expect(resumption == SignalResumption(value: 3, signal: "paid", payload: "card"))
        let written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(resumption)) as? [String: Any]
        #expect(written?["event"] as? String == "paid")
    }

    /// The deprecated names still build and reach the same hub, jobs and pipeline runs.
    @available(*, deprecated)
    @Test func theOldNamesForwardToTheNewOnes() async throws {
        let hub: EventHub = EventHub()
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        var configuration = Scheduler.Configuration(clock: clock, eventHub: hub)
        #expect(configuration.eventHub === hub)
        configuration.eventHub = hub
        let scheduler = Scheduler(configuration: configuration)
        let payloads = Mutex<[JSONValue?]>([])
        let trigger: EventTrigger = EventTrigger(key: "deploy")
        let job = try scheduler.schedule(trigger: trigger) { context in payloads.withLock { $0.append(context.payload) } }
        scheduler.start()

        let reached: [EventWaiter] = scheduler.post(event: "deploy", payload: "v1")
        #expect(reached.map(\.id) == [job.description])
        await scheduler.waitUntilIdle()
        #expect(hub.post("deploy", payload: "v2").map(\.id) == [job.description])
        await scheduler.waitUntilIdle()
        #expect(payloads.withLock { $0 } == ["v1", "v2"])

        let pipeline = JobPipeline(name: "approve", input: Int.self, clock: clock, events: hub).waitForEvent("ok")
        #expect(pipeline.events === hub)
        let run = pipeline.start(7)
        while pipeline.waitingRuns.isEmpty { await Task.yield() }
        #expect(pipeline.waitingRuns.map(\.waitingFor) == [.event("ok")])
        #expect(pipeline.resume(event: "ok", payload: "yes").count == 1)
        let resumed: EventResumption<Int> = try await run.value
        #expect(resumed.event == "ok" && resumed.value == 7 && resumed.payload == "yes")
        #expect(TriggerDescription(trigger) == .event(key: "deploy"))
    }
}

/// `PersistentScheduler.removeDependencyJob` is `remove(_:)` now, as on `DependencyScheduler`.
@Suite(.timeLimit(.minutes(1))) struct PersistentRemoveRenameTests {
    @available(*, deprecated)
    @Test func removeDependencyJobForwardsToRemove() throws {
        let harness = try PersistentHarness()
        let root = try harness.scheduler.scheduleDependencyJob(name: "root", function: "record", trigger: ManualTrigger())
        let leaf = try harness.scheduler.scheduleDependencyJob(name: "leaf", function: "record", dependsOn: [root])
        #expect(try harness.scheduler.removeDependencyJob(leaf))
        #expect(try harness.scheduler.removeDependencyJob(leaf) == false)
        #expect(harness.scheduler.downstream(of: root).isEmpty)
        #expect(harness.scheduler.send(signal: "nobody", payload: nil).isEmpty)
        #expect(harness.scheduler.post(event: "nobody").isEmpty)
    }
}
