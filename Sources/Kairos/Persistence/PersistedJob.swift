import Foundation

/// One job as the state file holds it: what to run, when, and what has happened so far.
///
/// The trigger and the policies are stored as the JSON of their Codable descriptions, so the
/// store does not depend on the scheduler's types; `PersistentScheduler` converts them.
package struct PersistedJob: Codable, Sendable, Hashable {
    /// Run counters, as the scheduler keeps them.
    package struct Counters: Codable, Sendable, Hashable {
        package var runs: Int = 0
        package var failures: Int = 0
        package var timeouts: Int = 0
        package var missed: Int = 0
        package var overlapSkipped: Int = 0
        package var bufferDropped: Int = 0

        package init() {}

        enum CodingKeys: String, CodingKey {
            case runs, failures, timeouts, missed, overlapSkipped, bufferDropped
        }

        // Zero counters are left out of the file: most jobs have most counters at zero.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            runs = try container.decodeIfPresent(Int.self, forKey: .runs) ?? 0
            failures = try container.decodeIfPresent(Int.self, forKey: .failures) ?? 0
            timeouts = try container.decodeIfPresent(Int.self, forKey: .timeouts) ?? 0
            missed = try container.decodeIfPresent(Int.self, forKey: .missed) ?? 0
            overlapSkipped = try container.decodeIfPresent(Int.self, forKey: .overlapSkipped) ?? 0
            bufferDropped = try container.decodeIfPresent(Int.self, forKey: .bufferDropped) ?? 0
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if runs != 0 { try container.encode(runs, forKey: .runs) }
            if failures != 0 { try container.encode(failures, forKey: .failures) }
            if timeouts != 0 { try container.encode(timeouts, forKey: .timeouts) }
            if missed != 0 { try container.encode(missed, forKey: .missed) }
            if overlapSkipped != 0 { try container.encode(overlapSkipped, forKey: .overlapSkipped) }
            if bufferDropped != 0 { try container.encode(bufferDropped, forKey: .bufferDropped) }
        }
    }

    /// The job's identity, stable across restarts.
    package var id: JobID
    /// The name given at scheduling.
    package var name: String
    /// The name of the registered function that runs the job.
    package var function: String
    /// The arguments passed to the function.
    package var arguments: JSONValue
    /// The trigger's Codable description.
    package var trigger: JSONValue
    /// The job's options and policies (overlap, misfire, timeout, priority, max runs...).
    package var options: JSONValue
    /// The job's status (`pending`, `running`, `paused`, `completed`, `failed`, `cancelled`).
    package var status: String
    /// What has happened so far.
    package var counters: Counters
    /// When the job is next due, if ever.
    package var nextFireDate: Date?
    /// The due date of the last run started.
    package var lastFireDate: Date?
    /// Due dates of runs that started and have not finished: after a crash they run again.
    package var inFlight: [Date]

    package init(
        id: JobID, name: String, function: String, arguments: JSONValue = .null,
        trigger: JSONValue, options: JSONValue = .null, status: String = "pending",
        counters: Counters = Counters(), nextFireDate: Date? = nil, lastFireDate: Date? = nil,
        inFlight: [Date] = []
    ) {
        self.id = id
        self.name = name
        self.function = function
        self.arguments = arguments
        self.trigger = trigger
        self.options = options
        self.status = status
        self.counters = counters
        self.nextFireDate = nextFireDate
        self.lastFireDate = lastFireDate
        self.inFlight = inFlight
    }

    enum CodingKeys: String, CodingKey {
        case id, name, function, arguments, trigger, options, status, counters
        case nextFireDate = "next", lastFireDate = "last", inFlight
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(JobID.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        function = try container.decode(String.self, forKey: .function)
        arguments = try container.decodeIfPresent(JSONValue.self, forKey: .arguments) ?? .null
        trigger = try container.decode(JSONValue.self, forKey: .trigger)
        options = try container.decodeIfPresent(JSONValue.self, forKey: .options) ?? .null
        status = try container.decode(String.self, forKey: .status)
        counters = try container.decodeIfPresent(Counters.self, forKey: .counters) ?? Counters()
        nextFireDate = try container.decodeIfPresent(Date.self, forKey: .nextFireDate)
        lastFireDate = try container.decodeIfPresent(Date.self, forKey: .lastFireDate)
        inFlight = try container.decodeIfPresent([Date].self, forKey: .inFlight) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(function, forKey: .function)
        if arguments != .null { try container.encode(arguments, forKey: .arguments) }
        try container.encode(trigger, forKey: .trigger)
        if options != .null { try container.encode(options, forKey: .options) }
        try container.encode(status, forKey: .status)
        if counters != Counters() { try container.encode(counters, forKey: .counters) }
        try container.encodeIfPresent(nextFireDate, forKey: .nextFireDate)
        try container.encodeIfPresent(lastFireDate, forKey: .lastFireDate)
        if !inFlight.isEmpty { try container.encode(inFlight, forKey: .inFlight) }
    }
}

/// A pipeline run as the state file holds it: the pipeline's Codable checkpoint (its progress
/// and what it waits for), stored as JSON so the store does not depend on the pipeline types.
package struct PersistedPipelineRun: Codable, Sendable, Hashable {
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
}
