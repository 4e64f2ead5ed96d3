import Foundation
import KairosPlatform
import KairosTesting
import Synchronization
import Testing

@testable import Kairos

/// Each case: a job due every 10 s whose first run blocks until released; the clock passes three
/// more due dates while it runs.
@Suite(.timeLimit(.minutes(1))) struct OverlapPolicyTests {
    struct Outcome {
        var dues: [TimeInterval]
        var counters: JobCounters
        var maxConcurrent: Int
        var firstRunCancelled: Bool
    }

    private func run(_ policy: OverlapPolicy, blockEveryRun: Bool = false, runsStartedBeforeRelease: Int = 1) async throws -> Outcome {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 8)
        let start = clock.now.date
        let recorder = RunRecorder()
        let gate = Gate()
        let concurrent = LockedState((now: 0, max: 0))
        let firstCancelled = Atomic<Bool>(false)
        let trigger = try IntervalTrigger(every: .seconds(10), startingAt: start.addingTimeInterval(10), repeatCount: 4)
        let id = try scheduler.schedule(trigger: trigger, options: JobOptions(overlap: policy)) { context in
            concurrent.withLock {
                $0.now += 1; $0.max = max($0.max, $0.now)
            }
            defer { concurrent.withLock { $0.now -= 1 } }
            recorder.record(context)
            if blockEveryRun || context.dueDate == start.addingTimeInterval(10) {
                await gate.wait()
                if context.isCancelled { firstCancelled.store(true, ordering: .relaxed) }
            }
        }
        clock.advance(by: .seconds(10))
        await recorder.waitUntil(count: 1)
        for _ in 0..<3 {
            clock.advance(by: .seconds(10))
            while let next = scheduler.job(id)?.nextFireDate, next <= clock.now.date { await Task.yield() }
        }
        await recorder.waitUntil(count: runsStartedBeforeRelease)
        gate.open()
        await scheduler.waitUntilIdle()
        let job = try #require(scheduler.job(id))
        #expect(job.status == .completed)
        return Outcome(
            dues: recorder.dueDates.map { $0.timeIntervalSince(start) }, counters: job.counters,
            maxConcurrent: concurrent.withLock { $0.max }, firstRunCancelled: firstCancelled.load(ordering: .relaxed))
    }

    @Test func skipDropsFiresWhileRunning() async throws {
        let outcome = try await run(.skip)
        #expect(outcome.dues == [10])
        #expect(outcome.counters.overlapSkipped == 3)
        #expect(outcome.maxConcurrent == 1)
    }

    @Test func bufferOneKeepsOnlyTheNewestFire() async throws {
        let outcome = try await run(.bufferOne)
        #expect(outcome.dues == [10, 40])
        #expect(outcome.counters.bufferDropped == 2)
        #expect(outcome.maxConcurrent == 1)
    }

    @Test func bufferAllQueuesUpToItsLimitAndCountsDrops() async throws {
        let outcome = try await run(.bufferAll(limit: 2))
        #expect(outcome.dues == [10, 20, 30])
        #expect(outcome.counters.bufferDropped == 1)
        #expect(outcome.maxConcurrent == 1)
    }

    @Test func cancelOtherCancelsTheRunningRunThenStartsTheNewest() async throws {
        let outcome = try await run(.cancelOther)
        #expect(outcome.dues == [10, 40])
        #expect(outcome.firstRunCancelled)
        #expect(outcome.counters.bufferDropped == 2)
        #expect(outcome.maxConcurrent == 1)
    }

    @Test func allowAllRunsConcurrentlyUpToItsLimit() async throws {
        let outcome = try await run(.allowAll(limit: 3), blockEveryRun: true, runsStartedBeforeRelease: 3)
        #expect(outcome.dues == [10, 20, 30])
        #expect(outcome.counters.overlapSkipped == 1)
        #expect(outcome.counters.runs == 3)
        #expect(outcome.maxConcurrent == 3)
    }
}
