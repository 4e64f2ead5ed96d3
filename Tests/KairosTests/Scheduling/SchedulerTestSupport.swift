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

/// Records what runs saw and lets a test wait until a number of runs have started.
final class RunRecorder: Sendable {
    private struct State {
        var dues: [Date] = []
        var payloads: [JSONValue?] = []
        var keys: [String] = []
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = LockedState(State())

    func record(_ context: JobContext) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.dues.append(context.dueDate)
            state.payloads.append(context.payload)
            state.keys.append(context.idempotencyKey)
            let count = state.dues.count
            let ready = state.waiters.filter { $0.count <= count }.map(\.continuation)
            state.waiters.removeAll { $0.count <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    var dues: [Date] { state.withLock { $0.dues } }
    var payloads: [JSONValue?] { state.withLock { $0.payloads } }
    var keys: [String] { state.withLock { $0.keys } }
    var count: Int { state.withLock { $0.dues.count } }

    /// Suspends until at least `count` runs have been recorded.
    func waitFor(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.dues.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
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
