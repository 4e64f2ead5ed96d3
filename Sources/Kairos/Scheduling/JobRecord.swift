import Foundation

/// A job's trigger as stored in its record: a one-shot date inline (no allocation), anything else
/// in a shared box.
enum TriggerStorage {
    case once(Double)
    case boxed(TriggerBox)

    /// Stores a trigger; an unanchored interval trigger is anchored at `now`. A one-shot trigger
    /// and a ``SharedTrigger`` (stored as it is) are recognised by their static type, with no
    /// dynamic cast.
    init<T: Trigger>(_ trigger: T, anchoredAt now: Double) {
        if T.self == OnceTrigger.self {
            self = .once(unsafeBitCast(trigger, to: OnceTrigger.self).date.timeIntervalSinceReferenceDate)
        } else if T.self == SharedTrigger.self {
            self = unsafeBitCast(trigger, to: SharedTrigger.self).storage
        } else if let once = trigger as? OnceTrigger {
            self = .once(once.date.timeIntervalSinceReferenceDate)
        } else {
            self = .boxed(TriggerBox(SchedulerCore.anchor(trigger, at: Date(timeIntervalSinceReferenceDate: now))))
        }
    }

    /// The trigger as the user sees it.
    var trigger: any Trigger {
        switch self {
        case .once(let date): OnceTrigger(at: Date(timeIntervalSinceReferenceDate: date))
        case .boxed(let box): box.trigger
        }
    }

    /// The next nominal due date strictly after `date`.
    func nextDue(after date: Double) -> Double? {
        switch self {
        case .once(let once): return once > date ? once : nil
        case .boxed(let box):
            return box.base.nextFireDate(after: Date(timeIntervalSinceReferenceDate: date))?.timeIntervalSinceReferenceDate
        }
    }

    /// The first nominal due date at or after `date`: the first strictly after the `Double` just
    /// below it (exact for cron too, whose whole seconds are counted in the `Date`'s own reference).
    func firstDue(atOrAfter date: Double) -> Double? {
        switch self {
        case .once(let once): return once >= date ? once : nil
        case .boxed: return nextDue(after: date.nextDown)
        }
    }

    var jitter: Double {
        if case .boxed(let box) = self { box.jitter } else { 0 }
    }

    var eventKey: String? {
        if case .boxed(let box) = self { box.eventKey } else { nil }
    }

    /// Whether the trigger has no time schedule (event and manual triggers): a missing next due
    /// date then does not mean it is exhausted.
    var isUntimed: Bool {
        if case .boxed(let box) = self { box.isUntimed } else { false }
    }

    /// The interval trigger behind this storage, for arithmetic catch-up.
    var interval: IntervalTrigger? {
        if case .boxed(let box) = self { box.base as? IntervalTrigger } else { nil }
    }
}

/// A trigger that is not a plain one-shot, unwrapped once: its jitter and event key are read
/// on every fire.
final class TriggerBox: Sendable {
    let trigger: any Trigger
    let base: any Trigger
    let jitter: Double
    let eventKey: String?
    let isUntimed: Bool

    init(_ trigger: any Trigger) {
        self.trigger = trigger
        var base = trigger
        var jitter = 0.0
        while let jittered = base as? JitteredTrigger {
            jitter += jittered.maxJitterSeconds
            base = jittered.base
        }
        self.base = base
        self.jitter = jitter
        self.eventKey = (base as? SignalTrigger)?.key
        self.isUntimed = base is SignalTrigger || base is ManualTrigger
    }
}

/// The state of a job that is rarely touched: allocated the first time a job needs it (a value
/// result, a buffered fire, a second concurrent run, a signal subscription, a non-zero counter).
/// Only ever used under the scheduler's lock.
final class JobExtras {
    var counters = JobCounters()
    var lastOutcome: RunOutcome?
    var buffered: [(due: Double, payload: JSONValue?)] = []
    var bufferHead = 0
    var otherActive: [JobRun] = []
    var subscription: SignalHub.Subscription?

    var bufferedCount: Int { buffered.count - bufferHead }

    func popBuffered() -> (due: Double, payload: JSONValue?)? {
        guard bufferHead < buffered.count else { return nil }
        let first = buffered[bufferHead]
        bufferHead += 1
        if bufferHead == buffered.count {
            buffered.removeAll(keepingCapacity: true)
            bufferHead = 0
        }
        return first
    }

    func clearBuffer() {
        buffered.removeAll()
        bufferHead = 0
    }
}

/// One job in the scheduler's job table (a slab indexed by slot). Hot fields are plain values;
/// rarely used state lives in ``JobExtras``.
struct JobRecord {
    enum State: UInt8 {
        case free, pending, paused, completed, failed, cancelled
    }

    struct Flags: OptionSet {
        let rawValue: UInt8
        /// The trigger has no further due date or `maxRuns` was reached.
        static let exhausted = Flags(rawValue: 1)
        /// The latest finished run failed or timed out.
        static let lastFailed = Flags(rawValue: 2)
        /// The latest finished run returned `()`.
        static let lastVoid = Flags(rawValue: 4)
        /// Free the slot as soon as the last run finishes (retention exceeded).
        static let forgetWhenIdle = Flags(rawValue: 8)
        /// The ID was given by the caller (`PersistentScheduler`) and is in the explicit-ID map.
        static let explicitID = Flags(rawValue: 16)
        /// Queued in the scheduler's due list (due already when queued) rather than the heap.
        static let inDueList = Flags(rawValue: 32)
    }

    // Fields are ordered so the record packs into 88 bytes: the small fields fill the bytes after
    // the body's and the trigger's enum tags. The job's ID (derived from its slot and generation,
    // or kept in the timeline's column of explicit IDs) and its name (in the timeline's column of
    // names, which costs nothing while no job has one) are not stored here.
    /// The next nominal due date.
    var nextDue: DueInstant
    /// The due date of the latest run fired.
    var lastDue: DueInstant
    /// Runs finished.
    var runs: Int
    var activeRun: JobRun?
    var extras: JobExtras?
    var body: JobBody
    var state: State
    /// Runs fired and not finished.
    var active: UInt16
    var optionsIndex: UInt32
    var trigger: TriggerStorage
    var flags: Flags
    /// The high half of a generated ID; counts the slot's reuses.
    var generation: UInt32
    /// When the latest finished run started, relative to its due date, and how long it took
    /// (seconds; single precision is plenty for reporting).
    var lastStartOffset: Float
    var lastDuration: Float

    /// Runs fired (towards `maxRuns`): finished plus in flight.
    var fired: Int { runs + Int(active) }

    static func free(generation: UInt32) -> JobRecord {
        JobRecord(
            nextDue: .none, lastDue: .none, runs: 0, activeRun: nil, extras: nil, body: .empty, state: .free, active: 0,
            optionsIndex: 0, trigger: .once(.nan), flags: [], generation: generation, lastStartOffset: .nan,
            lastDuration: .nan)
    }

    mutating func extrasCreatingIfNeeded() -> JobExtras {
        if let extras { return extras }
        let created = JobExtras()
        extras = created
        return created
    }

    /// The public status: running while a run is going, unless cancelled.
    var status: JobStatus {
        switch state {
        case .free, .cancelled: return .cancelled
        case .completed: return active > 0 ? .running : .completed
        case .failed: return active > 0 ? .running : .failed
        case .paused: return active > 0 ? .running : .paused
        case .pending: return active > 0 ? .running : .pending
        }
    }
}
