import Foundation
import KairosPlatform
import KairosTestSupport
import Synchronization
import Testing

@testable import Kairos

/// Clock moves racing the scheduler thread: no wake-up may be lost and no due date lost or
/// doubled, however the moves and the thread's passes interleave.
@Suite(.timeLimit(.minutes(1))) struct ManualClockRaceTests {
    /// Moves from several threads add up: `advance(by:)` read the time and set it under two
    /// acquisitions of the lock, so concurrent advances lost each other's time, and an
    /// `advance(to:)` racing an `advance(by:)` could take the clock back.
    @Test func concurrentAdvancesAddUpAndNeverGoBack() async {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 0))
        let threads = 4, moves = 100_000
        let wentBack = LockedState(false)
        // On threads of its own: the cooperative ones stay free for the tests running beside it.
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            Thread {
                DispatchQueue.concurrentPerform(iterations: threads) { index in
                    for move in 0..<moves {
                        let before = clock.now.date
                        if index == 0, move % 2 == 0 {
                            clock.advance(to: before.addingTimeInterval(0.5))
                        } else {
                            clock.advance(by: .seconds(1))
                        }
                        if clock.now.date < before { wentBack.withLock { $0 = true } }
                    }
                }
                finished.resume()
            }.start()
        }
        #expect(!wentBack.withLock { $0 })
        let byOne = (threads - 1) * moves + moves / 2
        #expect(clock.now.date.timeIntervalSince1970 >= Double(byOne))
        #expect(clock.now.date.timeIntervalSince1970 <= Double(byOne) + Double(moves / 2) * 0.5)
    }

    /// A thread moves the clock 3,000 times by 0 to 2 s, pausing and resuming the scheduler now and
    /// then, while the test keeps waiting for the scheduler to be idle. Every wait must return (a
    /// lost wake-up would leave the scheduler thread asleep with dates due, and the time limit
    /// would end the test), and in the end every due date of every job is accounted for exactly
    /// once: run, missed or skipped as overlapping.
    @Test(arguments: [1 as UInt64, 2, 3])
    func advancesRacingTheSchedulerThreadLoseNoWakeUpAndNoDueDate(seed: UInt64) async throws {
        let (scheduler, clock) = makeScheduler(maxConcurrentJobs: 2)
        let start = clock.now.date
        let intervals: [Double] = [0.5, 1, 3, 7]
        var ids: [JobID] = []
        for interval in intervals {
            ids.append(try scheduler.schedule(trigger: try IntervalTrigger(seconds: interval, start: start.addingTimeInterval(interval))) { _ in })
        }
        let done = Atomic<Bool>(false)
        let mover = Thread {
            var random = SplitMix(seed: seed)
            for step in 0..<3_000 {
                clock.advance(by: .seconds(Double(Int.random(in: 0...20, using: &random)) / 10))
                if step % 97 == 0 { scheduler.pause() }
                if step % 97 == 5 { scheduler.resume() }
            }
            scheduler.resume()
            done.store(true, ordering: .releasing)
        }
        mover.start()
        while !done.load(ordering: .acquiring) {
            await scheduler.waitUntilIdle()
            await Task.yield()
        }
        await scheduler.waitUntilIdle()
        let elapsed = clock.now.date.timeIntervalSince(start)
        for (id, interval) in zip(ids, intervals) {
            let job = try #require(scheduler.job(id))
            let due = Int((elapsed / interval).rounded(.down))
            #expect(job.runCount + job.counters.missed + job.counters.overlapSkipped == due, "every \(interval) s")
            #expect(job.nextFireDate == start.addingTimeInterval(Double(due + 1) * interval))
        }
    }
}
