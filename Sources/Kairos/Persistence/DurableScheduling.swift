import Foundation

/// A scheduler of named job functions with JSON arguments whose jobs live in a durable store:
/// `PersistentScheduler` (a state file, one process) and `PostgresScheduler` (`KairosPostgres`,
/// PostgreSQL shared by a cluster of processes). Code that manages jobs (an HTTP API, an admin
/// tool) is written once against it.
///
/// Every requirement is `async throws`: a store may be remote. The errors are the conforming
/// type's own (``PersistentSchedulerError`` for `PersistentScheduler`).
///
/// ```swift
/// func declareNightly(on scheduler: some DurableJobScheduler) async throws {
///     try await scheduler.schedule(
///         key: "nightly-invoices", name: "nightly invoices", function: "invoice.send", arguments: nil,
///         trigger: try CronTrigger("0 2 * * *"), options: JobOptions())
/// }
/// ```
public protocol DurableJobScheduler: Sendable {
    /// A job function: receives the run's context (its idempotency key is stable across re-runs
    /// of the same due date) and the job's arguments.
    typealias JobFunction = @Sendable (JobContext, JSONValue) async throws -> Void

    /// Registers the function that runs jobs scheduled with `function: name`, replacing any
    /// previous one.
    func register(_ name: String, _ body: @escaping JobFunction) async throws

    /// Adds a job, or with a `key`, declares the job stored under it (an upsert: an unchanged
    /// declaration leaves the job as it is), and returns its ID once the store holds it.
    ///
    /// The trigger must be a built-in one (it is stored as its ``TriggerDescription``).
    @discardableResult
    func schedule(
        key: String?, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions
    ) async throws -> JobID

    /// Cancels a job and removes it from the schedule; `false` if it is unknown or finished.
    @discardableResult
    func cancel(_ id: JobID) async throws -> Bool

    /// Pauses a job: it does not fire until resumed.
    func pause(_ id: JobID) async throws

    /// Resumes a paused job; with `catchingUp`, the due dates missed while paused are handled by
    /// the job's misfire policy, otherwise they are skipped.
    func resume(_ id: JobID, catchingUp: Bool) async throws

    /// Replaces a job's trigger.
    func reschedule(_ id: JobID, trigger: any Trigger) async throws

    /// Requests a run of the job now, besides its trigger's, and returns without waiting for it.
    func runNow(_ id: JobID) async throws

    /// The job with this ID as the store holds it, or `nil` if there is none.
    func storedJob(_ id: JobID) async throws -> StoredJob?

    /// The jobs the store holds, or those with `status`, ordered by ID.
    func storedJobs(status: JobStatus?) async throws -> [StoredJob]
}
