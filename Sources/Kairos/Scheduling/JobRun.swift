import Foundation
import Synchronization

/// A job body, type-erased once when the job is scheduled. Bodies that return nothing are kept
/// as they are (no wrapper closure), which is the common case. 17 bytes: a job record packs its
/// small fields into the byte after it.
enum JobBody: Sendable {
    case syncVoid(@Sendable (JobContext) throws -> Void)
    case syncValue(@Sendable (JobContext) throws -> any Sendable)
    case asyncVoid(@Sendable (JobContext) async throws -> Void)
    case asyncValue(@Sendable (JobContext) async throws -> any Sendable)

    var isAsync: Bool {
        switch self {
        case .syncVoid, .syncValue: false
        case .asyncVoid, .asyncValue: true
        }
    }

    var returnsVoid: Bool {
        switch self {
        case .syncVoid, .asyncVoid: true
        case .syncValue, .asyncValue: false
        }
    }

    /// Runs a synchronous body; must not be called for an async one.
    func invokeSync(_ context: JobContext) throws -> any Sendable {
        switch self {
        case .syncVoid(let body): try body(context); return ()
        case .syncValue(let body): return try body(context)
        case .asyncVoid, .asyncValue: preconditionFailure("async body invoked synchronously")
        }
    }

    /// Runs any body.
    func invoke(_ context: JobContext) async throws -> any Sendable {
        switch self {
        case .syncVoid(let body): try body(context); return ()
        case .syncValue(let body): return try body(context)
        case .asyncVoid(let body): try await body(context); return ()
        case .asyncValue(let body): return try await body(context)
        }
    }

    /// A body that does nothing, left in a forgotten job's slot.
    static let empty = JobBody.syncVoid { _ in }
}

/// One fired run on its way through the executor: created by the scheduler (under its lock) when
/// a job fires, ordered in the executor's ready queue, executed, and reported back.
///
/// `@unchecked Sendable`: the descriptive properties are written only under the scheduler's lock,
/// before the run is handed to the executor through the executor's lock (or when a pooled run is
/// reused, when nothing else references it), and only read afterwards; the cancellation state is
/// atomic; `task`, the handle of an async run, and the ready-queue flags `isQueued` and
/// `isWithdrawn` are only read and written under the executor's lock (see
/// ``JobExecutor/cancel(_:reason:)``).
final class JobRun: @unchecked Sendable {
    enum Cancellation: UInt8 {
        case none = 0
        case cancelled = 1
        case timedOut = 2
    }

    private(set) var jobID: JobID = JobID(rawValue: 0)
    private(set) var slot: UInt32 = 0
    private(set) var name: String = ""
    private(set) var dueDate: Date = .distantPast
    /// The instant the run may start (due date plus jitter), as seconds since the reference date.
    private(set) var startAfter: Double = 0
    private(set) var priority: Int32 = 0
    /// Fire order, to keep the ready queue first in, first out at equal keys.
    private(set) var sequence: UInt64 = 0
    private(set) var attempt: Int = 1
    private(set) var payload: JSONValue? = nil
    private(set) var body: JobBody = .empty
    /// The per-run timeout in seconds, if any.
    private(set) var timeout: Double? = nil
    /// Who hears the outcome once the run is recorded (``Scheduler/runNow(_:)``, DAG runs).
    private(set) var completion = RunCompletion.none

    /// For a run with a `completion`: whether its body was called. Written under the scheduler's
    /// lock before the completion is called, read after it.
    var didStart = true

    private let cancellation = Atomic<UInt8>(0)
    /// Guarded by the executor's lock.
    var task: Task<Void, Never>?
    /// The run waits in the executor's ready queue. Guarded by the executor's lock.
    var isQueued = false
    /// The run was withdrawn from the ready queue before it started (it stays there, skipped,
    /// until it reaches the head). Guarded by the executor's lock.
    var isWithdrawn = false

    /// An empty run, to be filled by ``reuse(jobID:slot:name:dueDate:startAfter:priority:sequence:attempt:payload:body:timeout:completion:)``.
    init() {}

    init(
        jobID: JobID, slot: UInt32, name: String, dueDate: Date, startAfter: Double, priority: Int32,
        sequence: UInt64, attempt: Int, payload: JSONValue?, body: JobBody, timeout: Double?,
        completion: RunCompletion
    ) {
        reuse(
            jobID: jobID, slot: slot, name: name, dueDate: dueDate, startAfter: startAfter, priority: priority,
            sequence: sequence, attempt: attempt, payload: payload, body: body, timeout: timeout, completion: completion)
    }

    /// Re-initializes a finished run taken from the scheduler's pool (it was uniquely referenced,
    /// so nothing else can observe it), so that firing allocates nothing.
    func reuse(
        jobID: JobID, slot: UInt32, name: String, dueDate: Date, startAfter: Double, priority: Int32,
        sequence: UInt64, attempt: Int, payload: JSONValue?, body: JobBody, timeout: Double?,
        completion: RunCompletion
    ) {
        self.jobID = jobID
        self.slot = slot
        self.name = name
        self.dueDate = dueDate
        self.startAfter = startAfter
        self.priority = priority
        self.sequence = sequence
        self.attempt = attempt
        self.payload = payload
        self.body = body
        self.timeout = timeout
        self.completion = completion
        isWithdrawn = false
        cancellation.store(0, ordering: .relaxed)
    }

    /// Drops what the run references (body captures, payload, completion) before it waits in the
    /// pool, so that pooling keeps nothing of a job alive.
    func clearForPool() {
        name = ""
        payload = nil
        body = .empty
        completion = .none
    }

    var isCancelled: Bool { cancellation.load(ordering: .relaxed) != 0 }
    var isTimedOut: Bool { cancellation.load(ordering: .relaxed) == Cancellation.timedOut.rawValue }

    /// Marks the run cancelled (or timed out); the first reason wins. Returns whether this call
    /// marked it (the caller then cancels its task, if any).
    func markCancelled(_ reason: Cancellation) -> Bool {
        cancellation.compareExchange(expected: 0, desired: reason.rawValue, ordering: .relaxed).exchanged
    }

    /// Orders runs for the ready queue: earlier start, then higher priority, then fire order.
    @inline(__always)
    static func precedes(_ a: JobRun, _ b: JobRun) -> Bool {
        if a.startAfter != b.startAfter { return a.startAfter < b.startAfter }
        if a.priority != b.priority { return a.priority > b.priority }
        return a.sequence < b.sequence
    }
}

/// How a run ended, with its timing, as reported by the executor.
struct CompletedRun: Sendable {
    var run: JobRun
    var outcome: RunOutcome
    /// Start and end on the scheduler's clock, seconds since the reference date.
    var start: Double
    var end: Double
    /// Whether the body was called. A run cancelled before it started ends without it, and is
    /// not counted as a run.
    var started = true
}
