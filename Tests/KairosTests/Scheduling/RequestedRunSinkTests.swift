import Foundation
import KairosPlatform
import Testing

@testable import Kairos

/// The hook that starts a layer's runs and reports how they ended to one sink
/// (``Scheduler/startDependencyRuns(_:reportingTo:)``): every started run is reported exactly
/// once, with its request's token, due date and attempt, in the order one worker finished them;
/// runs that could not start are returned, not reported.
@Suite(.timeLimit(.minutes(1))) struct RequestedRunSinkTests {
    /// Collects reports and lets the test wait until a number of runs have been reported.
    final class CollectingSink: Scheduler.RequestedRunSink, @unchecked Sendable {
        private let condition = NSCondition()
        private var reported: [Scheduler.FinishedRequestedRun] = []
        private var waiter: (count: Int, continuation: CheckedContinuation<Void, Never>)?

        func requestedRunsFinished(_ runs: [Scheduler.FinishedRequestedRun]) {
            condition.lock()
            reported.append(contentsOf: runs)
            var ready: CheckedContinuation<Void, Never>?
            if let waiter, reported.count >= waiter.count {
                ready = waiter.continuation
                self.waiter = nil
            }
            condition.unlock()
            ready?.resume()
        }

        /// Suspends until `count` runs have been reported; returns every run reported so far.
        func wait(for count: Int) async -> [Scheduler.FinishedRequestedRun] {
            await withCheckedContinuation { continuation in
                condition.lock()
                if reported.count >= count {
                    condition.unlock()
                    continuation.resume()
                } else {
                    waiter = (count, continuation)
                    condition.unlock()
                }
            }
            return reportedSoFar()
        }

        private func reportedSoFar() -> [Scheduler.FinishedRequestedRun] {
            condition.lock()
            defer { condition.unlock() }
            return reported
        }
    }

    struct Boom: Error {}

    @Test func everyStartedRunIsReportedOnceWithItsRequest() async throws {
        // One worker: runs finish in the order they were requested.
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 1))
        let count = 2_000
        var ids: [JobID] = []
        for index in 0..<count {
            if index == count / 2 {
                ids.append(try scheduler.schedule(trigger: ManualTrigger()) { (_: JobContext) async throws in throw Boom() })
            } else {
                ids.append(try scheduler.schedule(trigger: ManualTrigger()) { (_: JobContext) throws in if index % 7 == 0 { throw Boom() } })
            }
        }
        let cancelled = try scheduler.schedule(trigger: ManualTrigger()) { (_: JobContext) throws in }
        #expect(scheduler.cancel(cancelled))
        let unknown = JobID(rawValue: 999_999_999)
        let due = Date(timeIntervalSinceReferenceDate: 800_000_000)
        var requests = ids.enumerated().map { index, id in
            Scheduler.DependencyRunRequest(id: id, dueDate: due, attempt: 1 + index % 3, token: UInt64(index) << 32 | 7)
        }
        requests.insert(.init(id: unknown, dueDate: due, attempt: 1, token: 1), at: 10)
        requests.append(.init(id: cancelled, dueDate: due, attempt: 1, token: 2))
        let sink = CollectingSink()

        #expect(scheduler.startDependencyRuns(requests, reportingTo: sink) == nil, "nothing starts before start()")
        scheduler.start()
        let rejected = try #require(scheduler.startDependencyRuns(requests, reportingTo: sink))

        #expect(rejected.map(\.0.token) == [1, 2])
        let runs = await sink.wait(for: count)
        #expect(runs.map(\.token) == (0..<count).map { UInt64($0) << 32 | 7 })
        #expect(runs.allSatisfy { $0.dueDate == due })
        #expect(runs.map(\.attempt) == (0..<count).map { 1 + $0 % 3 })
        #expect(runs.map(\.outcome.isSuccess) == (0..<count).map { $0 % 7 != 0 && $0 != count / 2 })
        await scheduler.waitUntilIdle()
        #expect(await sink.wait(for: count).count == count, "no run is reported twice")
        #expect(scheduler.stats.totals.runs == count)
        await scheduler.stop()
    }
}
