import Foundation
import Synchronization
import Testing

@testable import Kairos

/// A run cancelled between its firing and its hand-off to the executor (a `stop` or `cancel`
/// racing the scheduler thread) must be reported as not started when it arrives, not queued
/// behind the runs holding the slots: `stop(timeout:)` would otherwise wait for those runs to
/// learn that it ended.
@Suite(.timeLimit(.minutes(1)))
struct JobExecutorWithdrawalTests {
    final class ReportSink: RunSink {
        let reports = Mutex<[(id: JobID, started: Bool, cancelled: Bool)]>([])

        func runStarting(_ run: JobRun, at start: Double) {}

        func runsFinished(_ completed: inout [CompletedRun], recycling: inout [JobRun]) {
            let finished = completed.map { report in
                let cancelled = if case .cancelled = report.outcome { true } else { false }
                return (id: report.run.jobID, started: report.started, cancelled: cancelled)
            }
            reports.withLock { $0.append(contentsOf: finished) }
        }
    }

    private func run(_ id: UInt64, body: JobBody) -> JobRun {
        let run = JobRun()
        run.reuse(
            jobID: JobID(rawValue: id), slot: UInt32(id), name: "", dueDate: Date(timeIntervalSince1970: 0),
            startAfter: 0, priority: 0, sequence: id, attempt: 1, payload: nil, body: body, timeout: nil,
            completion: .none)
        return run
    }

    @Test func aRunCancelledBeforeItsHandOffIsReportedAtOnceAndNotQueued() async throws {
        let executor = JobExecutor(limit: 1, clock: ManualClock())
        let sink = ReportSink()
        executor.attach(sink)
        let gate = AsyncStream<Void>.makeStream()
        var runs = [run(1, body: .asyncVoid { _ in for await _ in gate.stream {} })]
        executor.submit(&runs)
        #expect(executor.counts.executing == 1)

        let late = run(2, body: .syncVoid { _ in Issue.record("a cancelled run was started") })
        executor.cancel(late, reason: .cancelled)
        runs = [late]
        executor.submit(&runs)

        #expect(executor.counts.ready == 0)
        let reports = sink.reports.withLock { $0 }
        #expect(reports.count == 1)
        #expect(reports.first?.id == JobID(rawValue: 2))
        #expect(reports.first?.started == false && reports.first?.cancelled == true)

        gate.continuation.finish()
        while sink.reports.withLock({ $0.count }) < 2 { await Task.yield() }
        executor.shutdown()
    }
}
