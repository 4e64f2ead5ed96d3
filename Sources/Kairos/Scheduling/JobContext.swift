import Foundation

/// What a run knows about itself; passed to every job body.
///
/// ```swift
/// try scheduler.schedule(name: "invoice", trigger: trigger) { context in
///     try await billing.send(batch: context.dueDate, idempotencyKey: context.idempotencyKey)
/// }
/// ```
///
/// Cancellation is cooperative. An `async` body sees Swift task cancellation
/// (`Task.isCancelled`, `try Task.checkCancellation()`); a synchronous body runs on a worker
/// thread outside any task and checks ``isCancelled`` or calls ``checkCancellation()``, which work
/// for both kinds.
public struct JobContext: Sendable {
    let run: JobRun

    init(run: JobRun) { self.run = run }

    /// Creates the context of a run that a store outside the ``Scheduler`` fires (the runs of
    /// `KairosPostgres`' cluster scheduler): the job, the due date the run is for and its attempt.
    /// Its ``idempotencyKey`` is formed from the job ID and the due date as for every run, and
    /// its cancellation is the running task's (``isCancelled`` stays `false`; check
    /// `Task.isCancelled`).
    public init(jobID: JobID, name: String, dueDate: Date, attempt: Int, payload: JSONValue? = nil) {
        run = JobRun(
            jobID: jobID, slot: 0, name: name, dueDate: dueDate, startAfter: dueDate.timeIntervalSinceReferenceDate,
            priority: 0, sequence: 0, attempt: attempt, payload: payload, body: .empty, timeout: nil, completion: .none)
    }

    /// The job's ID.
    public var jobID: JobID { run.jobID }
    /// The job's name.
    public var name: String { run.name }
    /// The due date this run was fired for: the trigger's nominal date (without jitter), the
    /// instant of the post for event triggers, the instant of the call for ``Scheduler/runNow(_:)``.
    public var dueDate: Date { run.dueDate }
    /// 1 for a first attempt; higher when the same due date is run again (after a crash under
    /// `PersistentScheduler`, or a retry by a `DependencyScheduler`).
    public var attempt: Int { run.attempt }
    /// The payload of the signal that fired a signal-triggered run, else `nil`.
    public var payload: JSONValue? { run.payload }

    /// `"<job id>@<due date in ISO 8601 UTC>"`, for example `"42@2026-03-08T07:00:00Z"` (with
    /// fractional seconds when the due date has them, e.g. `"42@2026-03-08T07:00:00.250Z"`).
    ///
    /// Stable across restarts under `PersistentScheduler` (job IDs and due dates are persisted), so
    /// an at-least-once body can use it to deduplicate its side effects.
    public var idempotencyKey: String { "\(run.jobID)@\(JobContext.iso8601(run.dueDate))" }

    /// Whether this run has been cancelled or has timed out.
    public var isCancelled: Bool { run.isCancelled }

    /// Throws `CancellationError` if this run has been cancelled or has timed out.
    public func checkCancellation() throws {
        if run.isCancelled { throw CancellationError() }
    }

    /// Whether the current task is running an `async` job body (of any scheduler), or a task it
    /// started that inherits its task-local values. ``Scheduler/runNow(_:)`` reads it: a run
    /// requested from there does not wait for executor capacity.
    @TaskLocal static var isInsideRun = false

    static func iso8601(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        let style = Date.ISO8601FormatStyle(timeZone: .gmt)
        let text = Date(timeIntervalSince1970: whole).formatted(style)
        let millis = Int(((seconds - whole) * 1000).rounded())
        guard millis > 0, millis < 1000 else { return text }
        let fraction = String(millis + 1000).dropFirst()
        return "\(text.dropLast())." + fraction + "Z"
    }
}
