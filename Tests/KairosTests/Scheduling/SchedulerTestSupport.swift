import Foundation
import KairosPlatform
import Synchronization

@testable import Kairos

func utcDate(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

/// A scheduler on a manual clock, started, for tests in virtual time.
func makeScheduler(
    at start: Date = utcDate("2026-01-01T00:00:00Z"),
    maxConcurrentJobs: Int = 4,
    overlap: OverlapPolicy = .skip,
    misfire: MisfirePolicy = .runLatest,
    start started: Bool = true
) -> (Scheduler, ManualClock) {
    let clock = ManualClock(now: start)
    let scheduler = Scheduler(
        configuration: .init(
            maxConcurrentJobs: maxConcurrentJobs, clock: clock, defaultOverlap: overlap, defaultMisfire: misfire))
    if started { scheduler.start() }
    return (scheduler, clock)
}

/// Advances the clock to each of the job's next fire dates in turn, waiting for the scheduler to
/// settle after each, until the job has no next date or `limit` steps were taken.
func stepThroughFires(of id: JobID, scheduler: Scheduler, clock: ManualClock, limit: Int) async {
    for _ in 0..<limit {
        guard let next = scheduler.job(id)?.nextFireDate else { return }
        clock.advance(to: next)
        await scheduler.waitUntilIdle()
    }
}

/// A gate that async job bodies wait on until the test opens it.
final class Gate: Sendable {
    private let state = LockedState<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
