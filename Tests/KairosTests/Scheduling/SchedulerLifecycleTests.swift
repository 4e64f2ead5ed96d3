import Foundation
import KairosTesting
import Testing

@testable import Kairos

/// The scheduler's lifecycle as one value, and stopping and restarting through it.
@Suite(.timeLimit(.minutes(1))) struct SchedulerLifecycleTests {
    @Test func theThreadStateLivesOnlyInTheStatesWithAThread() {
        var lifecycle = SchedulerLifecycle.idle
        lifecycle.thread = .busy
        #expect(lifecycle == .idle)
        lifecycle = .running(.busy)
        lifecycle.thread = .waiting(until: 5)
        #expect(lifecycle == .running(.waiting(until: 5)))
        #expect(lifecycle.isRunning)
        lifecycle = .stopping(.delivering(reporting: true, burstPauseUntil: 7))
        lifecycle.thread = .busy
        #expect(lifecycle == .stopping(.busy))
        #expect(!lifecycle.isRunning)
        lifecycle = .stopped
        lifecycle.thread = .busy
        #expect(lifecycle == .stopped)
        #expect(lifecycle.thread == nil)
    }

    /// A restart takes over the thread if it has not ended yet, or starts a new one; either way
    /// jobs fire again.
    @Test func aSchedulerRestartedAtOnceAfterAStopFiresAgain() async throws {
        let (scheduler, clock) = makeScheduler(start: false)
        let recorder = RunRecorder()
        let trigger = try IntervalTrigger(every: .seconds(10), startingAt: clock.now.date.addingTimeInterval(10))
        try scheduler.schedule(trigger: trigger) { context in recorder.record(context) }
        for round in 1...3 {
            scheduler.start()
            #expect(scheduler.isRunning)
            clock.advance(by: .seconds(10))
            await scheduler.waitUntilIdle()
            #expect(recorder.count == round)
            await scheduler.stop()
            #expect(!scheduler.isRunning)
        }
    }
}
