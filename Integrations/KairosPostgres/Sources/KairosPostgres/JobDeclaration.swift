import Foundation
import Kairos

/// A job as `schedule` receives it, checked and turned into the columns of a `jobs` row.
struct JobDeclaration: Sendable {
    /// The longest job key accepted, in bytes of UTF-8 (as `PersistentScheduler`).
    static let maximumKeyLength = 256

    var key: String?
    var name: String
    var function: String
    var argumentsText: String
    var trigger: TriggerDescription
    var options: JobOptions
    var optionsText: String
    /// `skip`, `bufferOne`, `bufferAll`, `allowAll` (a `cancelOther` job is kept as `bufferOne`:
    /// a node cannot cancel a run going on another node).
    var overlap: String
    /// How many runs of the job may go at once (the lanes of the unique index).
    var lanes: Int
    /// How many runs may wait for a lane (`bufferAll`).
    var bufferLimit: Int
    var untimed: Bool

    init(
        key: String?, name: String, function: String, arguments: JSONValue, trigger: any Trigger, options: JobOptions,
        defaultOverlap: OverlapPolicy
    ) throws(PostgresSchedulerError) {
        if let key {
            if key.isEmpty { throw .invalidJobKey(key, reason: "a key cannot be empty") }
            if key.utf8.count > Self.maximumKeyLength {
                throw .invalidJobKey(key, reason: "longer than \(Self.maximumKeyLength) bytes")
            }
        }
        guard let description = TriggerDescription(trigger) else {
            throw .triggerNotSupported("\(type(of: trigger)) is a custom trigger, which has no stored form")
        }
        try Self.checkSupported(description)
        if function.isEmpty { throw .invalidOptions("the function name is empty") }
        if let maxRuns = options.maxRuns, maxRuns < 1 { throw .invalidOptions("maxRuns must be at least 1 (got \(maxRuns))") }
        if let timeout = options.timeout, timeout <= .zero { throw .invalidOptions("timeout must be positive (got \(timeout))") }
        let policy = options.overlap ?? defaultOverlap
        switch policy.name {
        case "skip": (overlap, lanes, bufferLimit) = ("skip", 1, 0)
        case "bufferOne", "cancelOther": (overlap, lanes, bufferLimit) = ("bufferOne", 1, 1)
        case "bufferAll":
            let limit = policy.limit ?? 0
            guard limit >= 0 else { throw .invalidOptions("bufferAll's limit must not be negative (got \(limit))") }
            (overlap, lanes, bufferLimit) = ("bufferAll", 1, limit)
        case "allowAll":
            let limit = policy.limit ?? 0
            guard limit >= 1, limit <= 10_000 else { throw .invalidOptions("allowAll's limit must be from 1 to 10000 (got \(limit))") }
            (overlap, lanes, bufferLimit) = ("allowAll", limit, 0)
        default:
            throw .invalidOptions("the overlap policy \(policy) is not supported by the cluster store")
        }
        self.key = key
        self.name = name
        self.function = function
        self.argumentsText = JSONText.encode(arguments)
        self.trigger = description
        self.options = options
        self.optionsText = JSONText.encode(options.jsonValue)
        if case .manual = description { untimed = true } else { untimed = false }
    }

    /// A declaration as a transaction stores it, at the database's `now`.
    struct Row: Sendable {
        var declaration: JobDeclaration
        /// The trigger with an unanchored interval anchored at `now`.
        var anchored: TriggerDescription
        var triggerText: String
        /// The first due date, to materialise (`nil`: the trigger never fires on its own).
        var firstDue: Date?
        /// For a one-shot due by `now`, on time (within the misfire threshold), active: the due
        /// date of the slot stored with the job, which then has nothing left to materialise.
        var slotDue: Date?
    }

    /// The row to store at `now` (seconds since 1970 of the database's clock).
    func row(scheduledAt now: Date, misfireThreshold: Double) throws -> Row {
        let anchored = trigger.anchored(at: now)
        let firstDue = TriggerDescription.firstDueDate(of: try anchored.makeTrigger(), scheduledAt: now)
        var slotDue: Date?
        if case .once = anchored, !options.startPaused, let due = firstDue?.roundedToMicroseconds,
            due <= now, now.timeIntervalSince(due) <= misfireThreshold
        {
            slotDue = due
        }
        return Row(
            declaration: self, anchored: anchored, triggerText: JSONText.encode(anchored.jsonValue), firstDue: firstDue,
            slotDue: slotDue)
    }

    /// Rejects the triggers a cluster cannot fire.
    static func checkSupported(_ description: TriggerDescription) throws(PostgresSchedulerError) {
        switch description {
        case .signal:
            throw .triggerNotSupported("signal triggers fire on signals sent to one process; a cluster has none")
        case .jittered(let base, _):
            try checkSupported(base)
        default:
            break
        }
    }
}

/// JSON text for `jsonb` columns, and back.
enum JSONText {
    static func encode(_ value: JSONValue) -> String {
        // Encoding a JSONValue cannot fail: it holds only JSON.
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "null"
    }

    static func decode(_ text: String, column: String) throws(PostgresSchedulerError) -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) } catch {
            throw .corruptRow("\(column) is not JSON: \(error)")
        }
    }

    static func trigger(_ text: String) throws(PostgresSchedulerError) -> TriggerDescription {
        do { return try TriggerDescription(jsonValue: try decode(text, column: "trigger")) } catch let error as StoredFormError {
            throw .corruptRow("trigger: \(error)")
        } catch {
            throw error as? PostgresSchedulerError ?? .corruptRow("trigger: \(error)")
        }
    }

    static func options(_ text: String) throws(PostgresSchedulerError) -> JobOptions {
        do { return try JobOptions(jsonValue: try decode(text, column: "options")) } catch let error as StoredFormError {
            throw .corruptRow("options: \(error)")
        } catch {
            throw error as? PostgresSchedulerError ?? .corruptRow("options: \(error)")
        }
    }
}

extension Date {
    /// Rounded to the microsecond, PostgreSQL's precision, so that a due date read back from a
    /// slot row is the one its key was formed from.
    var roundedToMicroseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1e6).rounded() / 1e6)
    }

    /// Seconds since 1970, as the statements bind dates (`to_timestamp`).
    var epoch: Double { timeIntervalSince1970 }

    init(epoch: Double) { self.init(timeIntervalSince1970: epoch) }
}

/// The idempotency key of a slot: the ``JobContext/idempotencyKey`` of its runs.
func slotKey(job: JobID, due: Date) -> String {
    JobContext(jobID: job, name: "", dueDate: due, attempt: 1).idempotencyKey
}
