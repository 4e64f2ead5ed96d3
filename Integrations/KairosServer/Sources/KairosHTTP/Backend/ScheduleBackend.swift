import Foundation
import Kairos

/// A durable scheduler of named functions that the HTTP API drives: jobs declared under keys,
/// each run by a registered function with JSON arguments.
///
/// `PersistentScheduler` conforms (the embedded state file). A store shared by several servers
/// conforms by writing one more adapter; every requirement that may reach the store is
/// `async throws`. The API names each schedule by its job's key.
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
    /// The job's state, if it runs here.
    func job(_ id: JobID) async throws -> JobSnapshot?
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
    /// Calls `handler` with every scheduler event (on the thread where it happens; keep it quick).
    func onEvent(_ handler: @escaping @Sendable (SchedulerEvent) -> Void) -> EventHandlerToken
    /// Removes a handler added by ``onEvent(_:)``.
    func removeEventHandler(_ token: EventHandlerToken)
    /// The scheduler's gauges and totals.
    var stats: SchedulerStats { get }
    /// Throws if the store cannot take changes (what `/readyz` reports).
    func checkReady() async throws
    /// Sleeps for `duration` on the scheduler's clock (an action's retry delay).
    func sleep(for duration: Duration) async throws
    /// Restores the stored jobs and starts firing.
    func start() async throws
    /// Stops firing and waits up to `timeout` for the runs going; `true` if they all ended.
    func stop(timeout: Duration) async -> Bool
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
