import Foundation
import KairosPlatform
import Testing

@testable import Kairos

/// How workers take synchronous runs in batches: quick runs in bulk, slow ones one at a time, and
/// a batch that overruns hands its unstarted runs back without losing or reordering any.
@Suite(.timeLimit(.minutes(1))) struct ExecutorBatchingTests {
    /// Counts the bodies running at once and lets a test wait for a number of them.
    final class ConcurrencyProbe: @unchecked Sendable {
        private let condition = NSCondition()
        private var running = 0
        private var peak = 0
        private let release = DispatchSemaphore(value: 0)

        /// Enters, blocks until released, leaves. The bound on the wait only frees the worker of
        /// a test that failed before releasing it; no result depends on it.
        func block() {
            condition.lock()
            running += 1
            peak = max(peak, running)
            condition.unlock()
            _ = release.wait(timeout: .now() + 60)
            condition.lock()
            running -= 1
            condition.unlock()
        }

        var runningNow: Int {
            condition.lock()
            defer { condition.unlock() }
            return running
        }

        func releaseAll(_ count: Int) {
            for _ in 0..<count { release.signal() }
        }

        var peakRunning: Int {
            condition.lock()
            defer { condition.unlock() }
            return peak
        }
    }

    @Test func slowRunsFiredTogetherRunInParallelUpToTheLimit() async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 2)
        let probe = ConcurrencyProbe()
        let due = clock.now.date.addingTimeInterval(10)
        let count = 6
        for _ in 0..<count {
            try scheduler.schedule(trigger: OnceTrigger(at: due)) { _ in probe.block() }
        }
        clock.advance(to: due)
        // Waits for the event, however slow the machine; the suite's time limit ends a hang.
        await eventually("two bodies running at once") { probe.runningNow >= 2 }
        probe.releaseAll(count)
        await scheduler.waitUntilIdle()
        #expect(scheduler.stats.totals.runs == count)
        #expect(probe.peakRunning == 2)
    }

    /// Every 100th body takes 300 µs, longer than a batch's budget: the batch holding it hands its
    /// unstarted runs back. With one worker, runs still start in fire order, each exactly once.
    @Test(arguments: [false, true])
    func aBatchThatOverrunsHandsItsRestBackInOrder(systemClock: Bool) async throws {
        let manual = ManualClock(now: utcDate("2026-01-01T00:00:00Z"))
        let clock: any SchedulerClock = systemClock ? SystemClock.shared : manual
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 1, clock: clock))
        scheduler.start()
        let order = LockedState<[Int]>([])
        let count = 5_000
        let due = clock.now.date
        for index in 0..<count {
            try scheduler.schedule(trigger: OnceTrigger(at: due)) { _ in
                order.withLock { $0.append(index) }
                if index % 100 == 99 { usleep(300) }
            }
        }
        await scheduler.waitUntilIdle()
        #expect(order.withLock { $0 } == Array(0..<count))
        #expect(scheduler.stats.totals.runs == count)
        await scheduler.stop()
    }
}
