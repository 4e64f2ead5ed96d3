import Foundation
import Kairos

/// A durable scheduler of named functions that the HTTP API drives: jobs declared under keys,
/// each run by a registered function with JSON arguments.
///
/// `PersistentScheduler` conforms (the embedded state file, one process) and
/// ``PostgresScheduleBackend`` (the PostgreSQL cluster store, shared by several servers); every
/// requirement that may reach the store is `async throws`. The API names each schedule by its
/// job's key.
public protocol ScheduleBackend: Sendable {
    /// The current time on the scheduler's clock (the API's `"now"`).
    var now: Date { get }
    /// Registers the function that runs jobs declared with `function: name`; it gets the run's
    /// context and the job's arguments.
    func register(_ name: String, _ body: @escaping @Sendable (JobContext, JSONValue) async throws -> Void) async throws
    /// Declares the job stored under `key` (an upsert; see
    /// `PersistentScheduler.schedule(key:name:function:arguments:trigger:options:)`) and returns
    /// its ID once the store holds it.
    func declare(
        key: String, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions
    ) async throws -> JobID
    /// Every key with the ID of its job.
    func keyedJobs() async throws -> [String: JobID]
    /// The ID of the job stored under `key`, if any.
    func jobID(forKey key: String) async throws -> JobID?
    /// How the job under `key` was declared (name, function, arguments), if a job has the key.
    func storedDeclaration(forKey key: String) async throws -> ScheduleDeclaration?
    /// The job's state, or `nil` if it is unknown or does not run here (its function is not
    /// registered in this process).
    func state(of id: JobID) async throws -> ScheduleState?
    /// The job's next `count` nominal fire dates.
    func nextFireDates(of id: JobID, count: Int) async throws -> [Date]
    /// Cancels the job and frees its key; `false` if it is unknown or finished.
    func cancel(_ id: JobID) async throws -> Bool
    /// Pauses the job.
    func pause(_ id: JobID) async throws
    /// Resumes the job, handing the due dates missed while paused to its misfire policy or
    /// skipping them.
    func resume(_ id: JobID, catchingUp: Bool) async throws
    /// Starts a run of the job now and returns without waiting for it.
    func runNow(_ id: JobID) async throws
    /// Sends the signal `key` to the jobs and pipeline runs waiting for it.
    func send(signal key: String, payload: JSONValue?) async throws -> [SignalWaiter]
    /// Calls `handler` with every event of this process's scheduler (on the thread where it
    /// happens; keep it quick) until the subscription is cancelled.
    func onEvent(_ handler: @escaping @Sendable (ScheduleEvent) -> Void) -> ScheduleEventSubscription
    /// The gauges `/metrics` shows.
    func gauges() async throws -> ScheduleGauges
    /// The runs of job `id` that the store keeps, newest due date first, at most `limit`, named
    /// as runs of `schedule`: finished ones and those going; `nil` if the store keeps no run
    /// history (the API then shows the runs this server saw).
    func storedRuns(of id: JobID, schedule: String, limit: Int) async throws -> [RunRecord]?
    /// The runs going anywhere the store reaches, with the keys of their jobs as schedules;
    /// `nil` if the store keeps no run history (the API then shows this server's).
    func storedActiveRuns() async throws -> [RunRecord]?
    /// Throws if the store cannot take changes (what `/readyz` reports).
    func checkReady() async throws
    /// Sleeps for `duration` on the scheduler's clock (an action's retry delay).
    func sleep(for duration: Duration) async throws
    /// Restores the stored jobs and starts firing.
    func start() async throws
    /// Stops firing and waits up to `timeout` for the runs going; `true` if they all ended.
    func stop(timeout: Duration) async -> Bool
}

extension ScheduleBackend {
    /// No run history in the store: the API keeps the runs it sees.
    public func storedRuns(of id: JobID, schedule: String, limit: Int) async throws -> [RunRecord]? { nil }

    /// No run history in the store: the API shows the runs going in this process.
    public func storedActiveRuns() async throws -> [RunRecord]? { nil }
}

/// How a keyed job was declared: what the API shows as its name and action.
public struct ScheduleDeclaration: Sendable, Hashable {
    /// The job's name.
    public var name: String
    /// The registered function that runs it.
    public var function: String
    /// The arguments passed to the function.
    public var arguments: JSONValue

    /// Creates a declaration; see each property.
    public init(name: String, function: String, arguments: JSONValue) {
        self.name = name
        self.function = function
        self.arguments = arguments
    }
}
