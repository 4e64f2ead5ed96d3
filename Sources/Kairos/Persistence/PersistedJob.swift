import Foundation

/// One job as the state file holds it: what to run, when, and what has happened so far.
///
/// The trigger and the policies are stored as the JSON of their Codable descriptions, which
/// `PersistentScheduler` converts; the counters are the scheduler's own `JobCounters`.
package struct PersistedJob: Sendable, Hashable {
    /// The job's identity, stable across restarts.
    package var id: JobID
    /// The name given at scheduling.
    package var name: String
    /// The user's stable key for the job (`schedule(key:…)`), unique in the state; `nil` for a
    /// job scheduled without one.
    package var key: String?
    /// The name of the registered function that runs the job.
    package var function: String
    /// The arguments passed to the function, kept as they were read until they are needed.
    package var storedArguments: StoredJSONValue
    /// The arguments passed to the function.
    package var arguments: JSONValue {
        get { storedArguments.value }
        set { storedArguments = StoredJSONValue(newValue) }
    }
    /// The trigger's Codable description.
    package var trigger: JSONValue
    /// The job's options and policies (overlap, misfire, timeout, priority, max runs...).
    package var options: JSONValue
    /// The job's status (`pending`, `running`, `paused`, `completed`, `failed`, `cancelled`).
    package var status: String
    /// What has happened so far.
    package var counters: JobCounters
    /// When the job is next due, if ever.
    package var nextFireDate: Date?
    /// The due date of the last run started.
    package var lastFireDate: Date?
    /// Runs that started and have not finished: after a crash they run again.
    package var inFlight: [InFlightRun]

    package init(
        id: JobID, name: String, key: String? = nil, function: String, arguments: JSONValue = .null,
        trigger: JSONValue, options: JSONValue = .null, status: String = "pending",
        counters: JobCounters = JobCounters(), nextFireDate: Date? = nil, lastFireDate: Date? = nil,
        inFlight: [InFlightRun] = []
    ) {
        self.id = id
        self.name = name
        self.key = key
        self.function = function
        self.storedArguments = StoredJSONValue(arguments)
        self.trigger = trigger
        self.options = options
        self.status = status
        self.counters = counters
        self.nextFireDate = nextFireDate
        self.lastFireDate = lastFireDate
        self.inFlight = inFlight
    }

    /// Reads a job written by `encode(to:)`; unknown keys are skipped.
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var id: UInt64?, name: String?, function: String?, trigger: JSONValue?, status: String?
        var job = PersistedJob(id: JobID(rawValue: 0), name: "", function: "", trigger: .null)
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "id": id = try reader.readUInt64()
            case "name": name = try reader.readString()
            case "key": job.key = try reader.readString()
            case "function": function = try reader.readString()
            case "arguments": job.storedArguments = StoredJSONValue(checkedBytes: try reader.readCheckedBytes())
            case "trigger": trigger = try reader.readInternedValue(group: 1)
            case "options": job.options = try reader.readInternedValue(group: 2)
            case "status": status = try reader.readString()
            case "counters": job.counters = try JobCounters(reading: &reader)
            case "next": job.nextFireDate = reader.readNull() ? nil : try reader.readDate()
            case "last": job.lastFireDate = reader.readNull() ? nil : try reader.readDate()
            case "inFlight":
                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                    job.inFlight.append(try InFlightRun(reading: &reader))
                }
            default: _ = try reader.readValue()
            }
        }
        guard let id else { throw reader.error("a job is missing \"id\"") }
        func missing(_ field: String) -> JSONReadError { reader.error("job \(id) is missing \"\(field)\"") }
        guard let name else { throw missing("name") }
        guard let function else { throw missing("function") }
        guard let trigger else { throw missing("trigger") }
        guard let status else { throw missing("status") }
        if job.key == "" { throw reader.error("job \(id) has an empty \"key\"") }
        job.id = JobID(rawValue: id)
        job.name = name
        job.function = function
        job.trigger = trigger
        job.status = status
        self = job
    }

    /// Writes the job as one JSON object; empty arguments, options, counters and in-flight
    /// runs are left out.
    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("id", id.rawValue)
            writer.member("name", name)
            if let key { writer.member("key", key) }
            writer.member("function", function)
            if !storedArguments.isNull {
                writer.key("arguments")
                storedArguments.write(to: &writer)
            }
            writer.member("trigger", trigger)
            if options != .null { writer.member("options", options) }
            writer.member("status", status)
            if counters != JobCounters() {
                writer.key("counters")
                counters.write(to: &writer)
            }
            if let nextFireDate { writer.member("next", nextFireDate) }
            if let lastFireDate { writer.member("last", lastFireDate) }
            if !inFlight.isEmpty {
                writer.key("inFlight")
                writer.array { writer in
                    for run in inFlight { run.write(to: &writer) }
                }
            }
        }
    }
}

/// A run that started and had not finished when the state was written:
/// `{"due":T,"attempt":N}`, plus `"payload"` for a run fired by a signal that carried one.
package struct InFlightRun: Sendable, Hashable {
    /// The due date the run was fired for.
    package var dueDate: Date
    /// Its attempt number (1 for a first run, more when it was run again after a restart).
    package var attempt: Int
    /// The payload of the event that fired the run, handed to it again when it reruns.
    package var payload: JSONValue?

    package init(dueDate: Date, attempt: Int, payload: JSONValue? = nil) {
        self.dueDate = dueDate
        self.attempt = attempt
        self.payload = payload
    }

    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var due: Date?, attempt = 1, payload: JSONValue?
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "due": due = try reader.readDate()
            case "attempt": attempt = try reader.readInt()
            case "payload": payload = try reader.readValue()
            default: _ = try reader.readValue()
            }
        }
        guard let due else { throw reader.error("an in-flight run is missing \"due\"") }
        self.init(dueDate: due, attempt: attempt, payload: payload)
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("due", dueDate)
            writer.member("attempt", attempt)
            if let payload { writer.member("payload", payload) }
        }
    }
}

/// A pipeline run as the state file holds it: the pipeline's Codable checkpoint (its progress
/// and what it waits for), stored as JSON so the store does not depend on the pipeline types.
package struct PersistedPipelineRun: Sendable, Hashable {
    /// The run's identity.
    package var id: String
    /// The name of the registered pipeline.
    package var pipeline: String
    /// The run's checkpoint.
    package var checkpoint: JSONValue

    package init(id: String, pipeline: String, checkpoint: JSONValue) {
        self.id = id
        self.pipeline = pipeline
        self.checkpoint = checkpoint
    }

    /// Reads a run written by `encode(to:)`; unknown keys are skipped.
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var id: String?, pipeline: String?, checkpoint: JSONValue = .null
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "id": id = try reader.readString()
            case "pipeline": pipeline = try reader.readString()
            case "checkpoint": checkpoint = try reader.readValue()
            default: _ = try reader.readValue()
            }
        }
        guard let id else { throw reader.error("a pipeline run is missing \"id\"") }
        guard let pipeline else { throw reader.error("pipeline run \(id) is missing \"pipeline\"") }
        self.init(id: id, pipeline: pipeline, checkpoint: checkpoint)
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("id", id)
            writer.member("pipeline", pipeline)
            writer.member("checkpoint", checkpoint)
        }
    }
}
