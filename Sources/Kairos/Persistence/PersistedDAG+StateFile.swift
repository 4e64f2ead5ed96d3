import Foundation

/// The JSON forms of the stored dependency graph (SPEC §7.2), read and written by hand like the
/// jobs.
///
/// Job: `{"id":N,"name":S,"key":S,"function":S,"arguments":…,"trigger":{…},"options":{…},"upstream":[N…],
/// "first":T,"last":T,"history":[{"due":T,"state":S,"attempts":N}…]}`.
/// Options: `{"triggerRule":S,"retry":{"maxAttempts":N,"initialDelay":S,"multiplier":M,"maxDelay":S,"jitter":J},
/// "timeout":S,"dependsOnPast":true,"priority":P,"misfire":{…}}`, defaults left out.
/// DAG run: `{"due":T,"jobs":[{"id":N,"phase":P,"attempts":A}…]}`.
extension PersistedDAGJob {
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var id: UInt64?, name: String?, function: String?, options: JSONValue = .null
        var job = PersistedDAGJob(id: JobID(rawValue: 0), name: "", function: "")
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "id": id = try reader.readUInt64()
            case "name": name = try reader.readString()
            case "key": job.key = try reader.readString()
            case "function": function = try reader.readString()
            case "arguments": job.arguments = try reader.readValue()
            case "trigger": job.trigger = reader.readNull() ? nil : try reader.readValue()
            case "options": options = try reader.readValue()
            case "upstream":
                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                    job.upstream.append(JobID(rawValue: try reader.readUInt64()))
                }
            case "first": job.first = reader.readNull() ? nil : try reader.readDate()
            case "last": job.last = reader.readNull() ? nil : try reader.readDate()
            case "history":
                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                    job.history.append(try DependencyRun(reading: &reader))
                }
            default: _ = try reader.readValue()
            }
        }
        guard let id else { throw reader.error("a DAG job is missing \"id\"") }
        guard let name else { throw reader.error("DAG job \(id) is missing \"name\"") }
        guard let function else { throw reader.error("DAG job \(id) is missing \"function\"") }
        if job.key == "" { throw reader.error("DAG job \(id) has an empty \"key\"") }
        do {
            _ = try DependencyJobOptions(stored: options)
        } catch {
            throw reader.error("DAG job \(id) has invalid options: \(error)")
        }
        job.options = options == [:] ? .null : options
        job.id = JobID(rawValue: id)
        job.name = name
        job.function = function
        self = job
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("id", id.rawValue)
            writer.member("name", name)
            if let key { writer.member("key", key) }
            writer.member("function", function)
            if arguments != .null { writer.member("arguments", arguments) }
            if let trigger { writer.member("trigger", trigger) }
            if options != .null, options != [:] { writer.member("options", options) }
            if !upstream.isEmpty {
                writer.key("upstream")
                writer.array { writer in
                    for id in upstream { writer.integer(id.rawValue) }
                }
            }
            if let first { writer.member("first", first) }
            if let last { writer.member("last", last) }
            if !history.isEmpty {
                writer.key("history")
                writer.array { writer in
                    for run in history { run.write(to: &writer) }
                }
            }
        }
    }
}

extension DependencyRun {
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var due: Date?, state: String?, attempts = 0
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "due": due = try reader.readDate()
            case "state": state = try reader.readString()
            case "attempts": attempts = try reader.readInt()
            default: _ = try reader.readValue()
            }
        }
        guard let due else { throw reader.error("a DAG job's past run is missing \"due\"") }
        guard let state, let runState = DependencyRunState(rawValue: state), runState.isFinished else {
            throw reader.error("a DAG job's past run has no valid \"state\" (\(state.map { "\"\($0)\"" } ?? "none"))")
        }
        self.init(dueDate: due, state: runState, attempts: attempts)
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("due", dueDate)
            writer.member("state", state.rawValue)
            if attempts != 0 { writer.member("attempts", attempts) }
        }
    }
}

extension PersistedDAGRun {
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var due: Date?, runs: [PersistedDAGJobRun] = []
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "due": due = try reader.readDate()
            case "jobs":
                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                    runs.append(try PersistedDAGJobRun(reading: &reader))
                }
            default: _ = try reader.readValue()
            }
        }
        guard let due else { throw reader.error("a DAG run is missing \"due\"") }
        self.init(due: due)
        for run in runs {
            if jobs.updateValue(run, forKey: run.id) != nil {
                throw reader.error("the DAG run for \(due.timeIntervalSince1970) names job \(run.id) twice")
            }
        }
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("due", due)
            writer.member("jobs", sortedValuesOf: jobs) { $0.write(to: &$1) }
        }
    }
}

extension PersistedDAGJobRun {
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var id: UInt64?, phaseName: String?, attempts = 0
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "id": id = try reader.readUInt64()
            case "phase": phaseName = try reader.readString()
            case "attempts": attempts = try reader.readInt()
            default: _ = try reader.readValue()
            }
        }
        guard let id else { throw reader.error("a DAG run's job is missing \"id\"") }
        guard let phaseName, let phase = DependencyGraph.Phase(name: phaseName), phase != .absent else {
            throw reader.error("job \(id) of a DAG run has no valid \"phase\" (\(phaseName.map { "\"\($0)\"" } ?? "none"))")
        }
        guard attempts >= 0 else { throw reader.error("job \(id) of a DAG run has a negative \"attempts\"") }
        self.init(id: JobID(rawValue: id), phase: phase, attempts: attempts)
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("id", id.rawValue)
            writer.member("phase", phase.name)
            if attempts != 0 { writer.member("attempts", attempts) }
        }
    }
}

extension DAGStateChange {
    /// The journal operation names of the DAG changes.
    static let operations: Set<String> = ["putDAGJob", "addDAGEdge", "removeDAGEdge", "removeDAGJob", "dagRootFired", "updateDAGRun"]

    /// Reads the operands of the DAG change `operation` from a change object already read.
    init(operation: String, members: [String: JSONValue]) throws(PersistedValueError) {
        func job(_ key: String) throws(PersistedValueError) -> JobID {
            guard case .number(let number)? = members[key], number >= 0, number == number.rounded(), number < 1.8e19 else {
                throw PersistedValueError("change \"\(operation)\" needs a job ID in \"\(key)\"")
            }
            return JobID(rawValue: UInt64(number))
        }
        func date(_ key: String) throws(PersistedValueError) -> Date {
            guard case .number(let number)? = members[key], number.isFinite else {
                throw PersistedValueError("change \"\(operation)\" needs a date in \"\(key)\"")
            }
            return Date(timeIntervalSince1970: number)
        }
        func reread<T>(_ key: String, _ read: (inout JSONReader) throws(JSONReadError) -> T) throws(PersistedValueError) -> T {
            guard let value = members[key] else { throw PersistedValueError("change \"\(operation)\" is missing \"\(key)\"") }
            var writer = JSONWriter()
            writer.value(value)
            do {
                return try JSONReader.read(Data(writer.bytes), read)
            } catch {
                throw PersistedValueError(error.reason)
            }
        }
        switch operation {
        case "putDAGJob":
            self = .putJob(try reread("dagJob") { (reader: inout JSONReader) throws(JSONReadError) in try PersistedDAGJob(reading: &reader) })
        case "addDAGEdge":
            self = .addEdge(job: try job("dependent"), upstream: try job("upstream"))
        case "removeDAGEdge":
            self = .removeEdge(job: try job("dependent"), upstream: try job("upstream"))
        case "removeDAGJob":
            self = .removeJob(try job("id"))
        case "dagRootFired":
            self = .rootFired(job: try job("id"), due: try date("due"))
        default:
            let run = try reread("dagRun") { (reader: inout JSONReader) throws(JSONReadError) in try PersistedDAGRun(reading: &reader) }
            let finished = members["finished"] == .bool(true)
            self = .updateRun(due: run.due, jobs: run.jobs.keys.sorted().map { run.jobs[$0]! }, finished: finished)
        }
    }

    func write(to writer: inout JSONWriter) {
        switch self {
        case .putJob(let job):
            writer.member("op", "putDAGJob")
            writer.key("dagJob")
            job.write(to: &writer)
        case .addEdge(let job, let upstream):
            writer.member("op", "addDAGEdge")
            writer.member("dependent", job.rawValue)
            writer.member("upstream", upstream.rawValue)
        case .removeEdge(let job, let upstream):
            writer.member("op", "removeDAGEdge")
            writer.member("dependent", job.rawValue)
            writer.member("upstream", upstream.rawValue)
        case .removeJob(let job):
            writer.member("op", "removeDAGJob")
            writer.member("id", job.rawValue)
        case .rootFired(let job, let due):
            writer.member("op", "dagRootFired")
            writer.member("id", job.rawValue)
            writer.member("due", due)
        case .updateRun(let due, let jobs, let finished):
            writer.member("op", "updateDAGRun")
            writer.key("dagRun")
            var run = PersistedDAGRun(due: due)
            for job in jobs { run.jobs[job.id] = job }
            run.write(to: &writer)
            if finished {
                writer.key("finished")
                writer.bool(true)
            }
        }
    }
}

/// A stored value that does not decode; the text says what and where.
struct PersistedValueError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension DependencyJobOptions {
    /// The stored form; default values are left out.
    var stored: JSONValue {
        var object: [String: JSONValue] = [:]
        if triggerRule != .allSuccess { object["triggerRule"] = .string(triggerRule.rawValue) }
        if retry != .none {
            object["retry"] = [
                "maxAttempts": .number(Double(retry.maxAttempts)), "initialDelay": .number(retry.initialDelaySeconds),
                "multiplier": .number(retry.multiplier), "maxDelay": .number(retry.maxDelaySeconds), "jitter": .number(retry.jitter),
            ]
        }
        if let timeout { object["timeout"] = .number(timeout.timeInterval) }
        if dependsOnPast { object["dependsOnPast"] = true }
        if priority != 0 { object["priority"] = .number(Double(priority)) }
        if let misfire, case .object(let options) = SchedulerValueCoding.json(JobOptions(misfire: misfire)) {
            object["misfire"] = options["misfire"]
        }
        return .object(object)
    }

    /// Stored durations at or above this many seconds are refused (see
    /// ``SchedulerValueCoding/maximumDurationSeconds``).
    static let longestDuration = SchedulerValueCoding.maximumDurationSeconds

    /// Reads the stored form, checking every value as the initializers do.
    init(stored value: JSONValue) throws(PersistedValueError) {
        self.init()
        if value == .null { return }
        guard case .object(let object) = value else { throw PersistedValueError("options must be an object") }
        func number(_ key: String) throws(PersistedValueError) -> Double? {
            guard let member = object[key] else { return nil }
            guard case .number(let number) = member, number.isFinite else { throw PersistedValueError("\"\(key)\" must be a number") }
            return number
        }
        if let rule = object["triggerRule"] {
            guard case .string(let name) = rule, let parsed = TriggerRule(rawValue: name) else {
                throw PersistedValueError("unknown trigger rule \(rule)")
            }
            triggerRule = parsed
        }
        if let retryValue = object["retry"] {
            guard case .object(let retryObject) = retryValue else { throw PersistedValueError("\"retry\" must be an object") }
            func retryNumber(_ key: String) throws(PersistedValueError) -> Double {
                guard case .number(let number)? = retryObject[key] else { throw PersistedValueError("\"retry.\(key)\" must be a number") }
                return number
            }
            let attempts = try retryNumber("maxAttempts")
            guard attempts == attempts.rounded(), abs(attempts) < 1e9 else { throw PersistedValueError("\"retry.maxAttempts\" must be an integer") }
            do {
                retry = try RetryPolicy(
                    maxAttempts: Int(attempts), initialDelaySeconds: try retryNumber("initialDelay"),
                    multiplier: try retryNumber("multiplier"), maxDelaySeconds: try retryNumber("maxDelay"),
                    jitter: try retryNumber("jitter"))
            } catch let error as RetryPolicyError {
                throw PersistedValueError("invalid retry policy: \(error)")
            } catch let error as PersistedValueError {
                throw error
            } catch {
                throw PersistedValueError("invalid retry policy: \(error)")
            }
        }
        if let seconds = try number("timeout") {
            guard seconds > 0, seconds < Self.longestDuration else {
                throw PersistedValueError("\"timeout\" must be positive and below \(Self.longestDuration) s, not \(seconds)")
            }
            timeout = .seconds(seconds)
        }
        if let flag = object["dependsOnPast"] {
            guard case .bool(let isOn) = flag else { throw PersistedValueError("\"dependsOnPast\" must be true or false") }
            dependsOnPast = isOn
        }
        if let value = try number("priority") {
            guard value == value.rounded(), abs(value) < 9e15 else { throw PersistedValueError("\"priority\" must be an integer") }
            priority = Int(value)
        }
        if let policy = object["misfire"] {
            if case .object(let members) = policy, case .number(let window)? = members["window"], !(abs(window) < Self.longestDuration) {
                throw PersistedValueError("invalid misfire policy: \"window\" must be below \(Self.longestDuration) s, not \(window)")
            }
            do {
                misfire = try SchedulerValueCoding.options(["misfire": policy]).misfire
            } catch {
                throw PersistedValueError("invalid misfire policy: \(error)")
            }
        }
    }
}

/// The snapshot's DAG members: `"dagJobs":[…],"dagRuns":[…]`, written only when not empty.
extension StateFileFormat {
    static func writeDAG(_ dag: PersistedDAG, to writer: inout JSONWriter) {
        writer.member("dagJobs", sortedValuesOf: dag.jobs) { $0.write(to: &$1) }
        writer.member("dagRuns", sortedValuesOf: dag.runs) { $0.write(to: &$1) }
    }

    static func readDAG(
        _ key: String, from reader: inout JSONReader, jobs: inout [PersistedDAGJob], runs: inout [PersistedDAGRun]
    ) throws(JSONReadError) {
        try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
            if key == "dagJobs" {
                jobs.append(try PersistedDAGJob(reading: &reader))
            } else {
                runs.append(try PersistedDAGRun(reading: &reader))
            }
        }
    }
}
