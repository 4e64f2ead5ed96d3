import Foundation
import Kairos

/// Collects what job bodies saw, in the order they ran, and lets a test wait until enough runs
/// have been recorded.
///
/// Call ``record(_:)`` from the body of the job under test; assert on ``runs`` or ``dueDates``
/// afterwards. Safe to use from any thread and from synchronous or `async` bodies.
///
/// ```swift
/// let runs = RunRecorder()
/// try scheduler.schedule(trigger: try CronTrigger("*/15 * * * *")) { context in
///     runs.record(context)
/// }
/// await clock.step(by: .seconds(3600))
/// #expect(runs.count == 4)
/// ```
public final class RunRecorder: Sendable {
    private let recording = Recording<RecordedRun>()

    /// Creates an empty recorder.
    public init() {}

    /// Records a run; call it from the job's body.
    public func record(_ context: JobContext) {
        recording.append(RecordedRun(context))
    }

    /// The runs recorded so far, in the order they called ``record(_:)``.
    public var runs: [RecordedRun] { recording.elements }

    /// The due dates of the runs recorded so far.
    public var dueDates: [Date] { runs.map(\.dueDate) }

    /// The payloads of the runs recorded so far (`nil` for runs no event fired).
    public var payloads: [JSONValue?] { runs.map(\.payload) }

    /// The idempotency keys of the runs recorded so far.
    public var idempotencyKeys: [String] { runs.map(\.idempotencyKey) }

    /// The number of runs recorded so far.
    public var count: Int { runs.count }

    /// Suspends until at least `count` runs have been recorded (or the task is cancelled) and
    /// returns the runs recorded by then.
    ///
    /// Use it when something other than a `ManualClock` step starts the runs (a `send(signal:)`,
    /// a `runNow`, a system clock): it waits for the runs themselves, not for time.
    @discardableResult
    public func waitUntil(count: Int) async -> [RecordedRun] {
        await recording.wait { $0.count >= count }
    }
}
